"""Signals of the course site.

``module_completed(sender=ModuleProgress, learner=..., module=...)`` is sent after a
learner marks a reading module complete (certification listens to it).
"""

from django.dispatch import Signal

module_completed = Signal()
