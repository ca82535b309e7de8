"""The course site: Wagtail pages (catalogue → programme (micro-degree) → course → module),
programme runs (cohorts) and enrolment, module progress.

- ``models/``: the pages (content only), runs and enrolments, progress;
- ``selectors.py`` and ``services/`` (enrolments, progress, completions): the reads and writes;
- progress ends in the completion check of ``lms.certificates`` (an explicit call).
"""
