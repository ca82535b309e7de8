"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _


def site(request: HttpRequest) -> dict:
    return {"site_name": settings.LMS_SITE_NAME or _("AI Micro-degree")}
