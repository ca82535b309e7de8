"""The learner's own pages and actions ("My learning"); the course pages themselves are
Wagtail pages served by Wagtail's catch-all URL."""

from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("runs/<int:run_id>/enrol/", views.enrol, name="enrol"),
    path("enrolments/<int:enrolment_id>/drop/", views.drop, name="drop"),
    path("modules/<int:module_id>/complete/", views.module_complete_view,
         name="module_complete"),
]
