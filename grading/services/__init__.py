"""Writes of the grading app, one module per concern (nothing is re-exported here):

- ``assignments``: source notebooks, data files, the release check (and its task);
- ``sandboxes``: running the engine for an assignment (data files, sandbox backends);
- ``submissions``: storing a learner's notebook, queueing it, the sweep (and its task);
- ``grades``: autograding, storing grades, manual grades, overrides (and the grading task),
  each ending in the module's progress and the run's completion check;
- ``extensions``: a later due date for one learner.

Celery tasks sit beside the service they run, under their historical names
(``grading.tasks.*``, routed to the ``grading`` queue); ``grading/tasks.py`` lists them.
"""
