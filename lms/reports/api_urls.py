"""The reports API (no language prefix) and its OpenAPI schema."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from lms.reports import api

app_name = "reports_api"

urlpatterns = [
    path("years/", api.YearsView.as_view(), name="years"),
    path("years/<int:year>/", api.YearDetailView.as_view(), name="year"),
    path("targets/", api.TargetsView.as_view(), name="targets"),
    # Public on purpose: it describes the endpoints and the bearer scheme, and holds no data.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
