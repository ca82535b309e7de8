"""The learner's grading actions (under the language prefix: /ko/grading/...)."""

from django.urls import path

from grading import views

app_name = "grading"

urlpatterns = [
    path("assignments/<slug:key>/submit/", views.submit, name="submit"),
    path("assignments/<slug:key>/panel/", views.panel, name="panel"),
    path("assignments/<slug:key>/notebook/", views.released, name="released"),
    path("assignments/<slug:key>/data/<str:name>", views.data_file, name="data_file"),
    path("submissions/<int:submission_id>/feedback/", views.feedback, name="feedback"),
    path("submissions/<int:submission_id>/notebook/", views.download, name="download"),
]
