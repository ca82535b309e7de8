"""The certificates in the Wagtail admin: list, inspect, and revoke with a reason."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import DateColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from lms.certificates import admin_views
from lms.certificates.models import Certificate

# --- Certificates: list, and revoke with a reason (programme staff) -------------------------


class CertificateViewSet(SnippetViewSet):
    model = Certificate
    icon = "success"
    menu_label = _("Certificates")
    menu_order = 275
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["serial", "holder_name", "programme_title",
                    DateColumn("issued_at", label=_("Issued on"), sort_key="issued_at"),
                    DateColumn("revoked_at", label=_("Revoked on"), sort_key="revoked_at")]
    search_fields = ["serial", "holder_name"]
    index_view_class = admin_views.CertificateIndexView

    def get_urlpatterns(self):
        # Certificates are issued by the completion rule and revoked with a reason; staff
        # get "view" and "revoke" (no "add", "change" or "delete").
        return [*super().get_urlpatterns(),
                path("revoke/<int:pk>/", admin_views.CertificateRevokeView.as_view(),
                     name="revoke")]


register_snippet(CertificateViewSet)
