"""The learner's outcome pages (under ``/<lang>/outcomes/``)."""

from django.urls import path

from lms.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("consent/", views.consent_edit, name="consent"),
    path("<int:outcome_id>/", views.outcome_edit, name="edit"),
    path("answer/<str:token>/", views.answer, name="answer"),
]
