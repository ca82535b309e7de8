from django.urls import path

from lms.accounts import views

urlpatterns = [
    path("profile/", views.profile_edit, name="profile"),
    path("admin-login/", views.admin_login, name="admin_login"),
]
