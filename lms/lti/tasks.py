"""The LTI tool's Celery tasks (defined beside their services in ``lms.lti.services``)."""

from lms.lti.services import line_item_ensure_task, score_publish_task

__all__ = ["line_item_ensure_task", "score_publish_task"]
