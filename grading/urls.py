"""The learner's grading actions (under the language prefix: /ko/grading/...)."""

from django.urls import path

from grading import views

app_name = "grading"

urlpatterns = [
    path("assignments/<slug:key>/submit/", views.submit, name="submit"),
    path("assignments/<slug:key>/panel/", views.panel, name="panel"),
    path("assignments/<slug:key>/notebook/", views.released, name="released"),
    path("assignments/<slug:key>/data/<str:name>", views.data_file, name="data_file"),
    path("assignments/<slug:key>/lab/", views.lab_open, name="lab_open"),
    path("assignments/<slug:key>/lab/wait/", views.lab_wait, name="lab_wait"),
    path("assignments/<slug:key>/lab/submit/", views.lab_submit_view, name="lab_submit"),
    path("submissions/<int:submission_id>/feedback/", views.feedback, name="feedback"),
    path("submissions/<int:submission_id>/feedback/notebook/", views.feedback_document,
         name="feedback_document"),
    path("submissions/<int:submission_id>/notebook/", views.download, name="download"),
]
