"""Signals of the grading app.

``grade_changed(sender=Grade, grade=...)`` is sent after the transaction that stored or
changed a grade has committed (autograde, regrade, manual grade, override): module progress
and, later, certification listen to it.
"""

from django.dispatch import Signal

grade_changed = Signal()
