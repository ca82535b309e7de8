"""Grading: notebook assignments (nbgrader source, released version, data files, policy),
immutable submissions, grades and their audit trail, the gradebook, and the lab buttons
(JupyterHub through ``hub.py`` and ``lab.py``).

- ``services/`` and ``selectors/``: the writes and reads, one module per concern;
- ``autograder/``: the grading engine, without Django (it imports nothing from the site);
- a stored or changed grade settles its module in ``courses.services.progress``, which ends
  in the completion check of ``lms.certificates``.
"""
