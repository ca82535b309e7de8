"""The holder's certificate pages (under ``/<lang>/grading/certificates/``, their address
since before the certificates had their own app). The public verification page is
``/verify/<code>/`` (no language prefix, in ``lms/urls.py``) and the Open Badges routes are in
``lms.certificates.credentials.urls``."""

from django.urls import path

from lms.certificates import views

app_name = "certificates"

urlpatterns = [
    path("<str:serial>/pdf/", views.certificate_pdf, name="pdf"),
    path("<str:serial>/name/", views.certificate_name, name="name"),
]
