"""The LTI tool's addresses (no language prefix: platforms are configured with fixed URLs)."""

from django.urls import path

from lms.lti import views

app_name = "lti"

urlpatterns = [
    path("jwks/", views.jwks, name="jwks"),
    path("login/", views.login_initiation, name="login"),
    path("login/<uuid:registration_uuid>/", views.login_initiation, name="login_registration"),
    path("launch/", views.launch, name="launch"),
    path("deep-link/", views.deep_link, name="deep_link"),
    path("placements/<int:pk>/", views.placement, name="placement"),
    path("link/<str:token>/", views.account_link, name="link"),
]
