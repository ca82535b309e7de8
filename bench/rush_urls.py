"""URLs of bench/deadline_rush.py: the site's own, plus a trivial view.

``/bench/ok`` answers "ok" through the same gunicorn, middleware stack and settings as every
page, with no template and no query: what Django itself costs per request on this machine.
The benchmark gives the throughput of real pages as a fraction of it. It is mounted only by
``bench/rush_settings.py``, never by the site.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from lms.urls import urlpatterns as site_urlpatterns


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok", ok, name="bench_ok"), *site_urlpatterns]
