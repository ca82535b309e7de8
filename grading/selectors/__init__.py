"""Reads of the grading app, one module per concern (nothing is re-exported here):

- ``grades``: the grade that counts and the pass rule (the only place it is written);
- ``access``: who may grade a course and see a submission;
- ``gradebook``: a run's learners × a course's assignments;
- ``release``: the release check's report, as the release page reads it.
"""
