"""Writes of the course site, one module per concern (nothing is re-exported here):

- ``enrolments``: enrolling (single and in bulk), approving, dropping;
- ``progress``: module visits, reading modules completed, modules settled by their grades;
- ``completions``: an enrolment marked completed (by the certificates app, when it issues).

Every service that can complete a learner's last requirement ends in
``lms.certificates.services.certificates_reconsider``, the one completion check.
"""
