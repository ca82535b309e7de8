"""The autograding engine, without Django: notebooks and the grading plan, the judge and
learner runners, sandbox backends and pools, the release check, feedback and the CLI.

Nothing here imports Django or the site's apps (``tests/grading/autograder`` checks it); the
site's services call ``engine.notebook_grade`` and friends. See docs/grading-engine.md.
"""
