"""URL configuration. Human-facing pages live under a language prefix (/ko/, /en/); machine
endpoints (health, admin, the hub's OAuth and the reports API) do not."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from oauth2_provider import urls as oauth2_urls
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.urls import serve_pattern

from courses import views as course_views
from lms.accounts import views as account_views
from lms.certificates import views as certificate_views
from lms.core import views as core_views

# The provider's endpoints the hub's single sign-on uses, and no more: not the self-service
# client registration pages (any signed-in learner could make an OAuth client asking others
# for their data), nor the device flow or dynamic client registration.
oauth2_provider_urls = [
    *oauth2_urls.metadata_urlpatterns,
    *(p for p in oauth2_urls.base_urlpatterns
      if p.name in ("authorize", "token", "revoke-token", "introspect")),
    *oauth2_urls.oidc_urlpatterns,
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    # Prometheus metrics, for operators only (lms.core.metrics).
    path("metrics", core_views.metrics, name="metrics"),
    # Browsers and feed readers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", core_views.favicon),
    # Public certificate verification (the QR code's address): no language prefix.
    path("verify/<str:code>/", certificate_views.verify, name="certificate_verify"),
    # Open Badges credentials: issuer, keys, status lists, the holder's download.
    path("credentials/", include("lms.certificates.credentials.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # One sign-in form (the site's) and so one throttle of failed logins: the admins' own
    # login pages are replaced by addresses that send people there (lms.accounts.views).
    path("django-admin/login/", account_views.django_admin_login, name="django_admin_login"),
    path("django-admin/", admin.site.urls),
    path("admin/login/", account_views.admin_login, name="wagtail_admin_login"),
    # Every change of every course: programme staff and superusers only (before Wagtail's).
    path("admin/reports/site-history/", core_views.site_history, name="site_history"),
    path("admin/reports/site-history/results/", core_views.site_history,
         {"results_only": True}, name="site_history_results"),
    path("admin/", include(wagtailadmin_urls)),
    # OAuth2 / OpenID Connect provider: JupyterHub signs learners in here.
    path("o/", include((oauth2_provider_urls, "oauth2_provider"))),
    path("documents/", include(wagtaildocs_urls)),
    # The read-only reports API for ministry systems; its OpenAPI schema at /api/schema/.
    path("api/", include("lms.reports.api_urls")),
    # The LTI 1.3 tool: JWKS, OIDC login initiation, launch, deep linking (lms.lti).
    path("lti/", include("lms.lti.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(
    path("accounts/", include("lms.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("learning/", include("courses.urls")),
    path("grading/", include("grading.urls")),
    path("grading/certificates/", include("lms.certificates.urls")),
    # Employment follow-up: consents, the learner's outcomes, the emailed form (no login).
    path("outcomes/", include("lms.outcomes.urls")),
    path("reports/", include("lms.reports.urls")),
    # /healthz in words, for people (the footer's "Service status").
    path("status/", core_views.service_status, name="service_status"),
    # Wagtail's login page for private pages, likewise (before Wagtail's own).
    path("_util/login/", account_views.page_login, name="page_login"),
    # Wagtail's URLs, its pages served by the course site's view (the page found in one query,
    # courses.routing), under Wagtail's pattern and name.
    path("", include([p for p in wagtail_urls.urlpatterns if p.name != "wagtail_serve"])),
    re_path(serve_pattern, course_views.serve, name="wagtail_serve"),
    prefix_default_language=True,
)
