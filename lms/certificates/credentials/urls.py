"""Credential documents (no language prefix: /credentials/...).

Documents end in ``.json``: besides saying what they are, a path with a dot and no trailing
slash is never taken for a page of the Korean site, so an unknown key or list is a plain 404
(not a redirect to /ko/... by the language middleware).
"""

from django.urls import path

from lms.certificates.credentials import views

app_name = "credentials"

urlpatterns = [
    path("issuer.json", views.issuer, name="issuer"),
    path("keys/<str:public_key_multibase>.json", views.key, name="key"),
    path("status/<int:number>.json", views.status_list, name="status_list"),
    path("achievements/<uuid:programme_key>", views.achievement, name="achievement"),
    path("certificates/<str:serial>.json", views.download, name="download"),
]
