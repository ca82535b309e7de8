"""Certificates: the completion rule of a programme run, issuing and revoking certificates,
their PDF, Open Badges 3.0 credentials, and the public verification page ``/verify/<code>/``.

Flow: a learner's work changes (a grade, a reading module) -> ``courses.services`` settles
the module's progress -> :func:`lms.certificates.services.certificates_reconsider` evaluates
the completion rule (``selectors.completion_evaluate``) and issues what has become complete.
This app writes only its own models (and the enrolment's completion, through
``courses.services.completions.enrolment_complete``); it reads grades through ``grading.selectors``.
"""
