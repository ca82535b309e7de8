"""Employment outcomes in the Wagtail admin: outcomes (list, filter, staff corrections),
consents (read only), the matching export and its log (programme operators)."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import DateColumn
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from lms.outcomes import admin_views
from lms.outcomes.models import MatchingExport, Outcome, OutcomeConsent
from lms.outcomes.selectors import user_may_export_matching


class LimitedPolicy(ModelPermissionPolicy):
    """Only the ``actions`` named, whatever else a user (even a superuser) may do: outcome
    rows are made by the schedule, consents are the learner's to give, the export log is
    never edited."""

    def __init__(self, model, *, actions: frozenset[str]):
        super().__init__(model)
        self.actions = actions

    def user_has_permission(self, user, action):
        return action in self.actions and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a in self.actions])


register_permission_policy(Outcome, LimitedPolicy(Outcome, actions=frozenset({"view", "change"})))
register_permission_policy(OutcomeConsent, LimitedPolicy(OutcomeConsent,
                                                         actions=frozenset({"view"})))
register_permission_policy(MatchingExport, LimitedPolicy(MatchingExport,
                                                         actions=frozenset({"view"})))


class OutcomeViewSet(SnippetViewSet):
    model = Outcome
    icon = "user"
    menu_label = _("Outcomes")
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["certificate", "months", "status", "source",
                    DateColumn("due_at", label=_("Due on"), sort_key="due_at"),
                    DateColumn("answered_at", label=_("Answered on"), sort_key="answered_at")]
    list_filter = ["status", "months", "source"]
    search_fields = ["certificate__serial", "certificate__holder_name"]
    # The answer only: the schedule, the link and the source are the services' to write.
    panels = [FieldPanel(name) for name in ("status", "employed_on", "employer_size",
                                             "industry", "uses_ai", "pay_band")]
    edit_view_class = admin_views.OutcomeEditView

    def get_queryset(self, request):
        return Outcome.objects.select_related("certificate")


class OutcomeConsentViewSet(SnippetViewSet):
    model = OutcomeConsent
    icon = "tick"
    menu_label = _("Consents")
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["user", "follow_up", "matching",
                    DateColumn("updated_at", label=_("Updated on"), sort_key="updated_at")]
    list_filter = ["follow_up", "matching"]
    search_fields = ["user__email", "user__full_name"]
    # Consents are the learner's to give: staff read them, never edit them (see the policy).
    panels = [FieldPanel("follow_up", read_only=True)]

    def get_queryset(self, request):
        return OutcomeConsent.objects.select_related("user")


class MatchingExportViewSet(SnippetViewSet):
    model = MatchingExport
    icon = "download"
    menu_label = _("Matching exports (log)")
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["operator_email", "channel", "rows", "year", "run_id",
                    DateColumn("exported_at", label=_("Exported on"), sort_key="exported_at")]
    list_filter = ["channel", "year"]
    panels = [FieldPanel("year", read_only=True)]


class OutcomesGroup(SnippetViewSetGroup):
    items = (OutcomeViewSet, OutcomeConsentViewSet, MatchingExportViewSet)
    menu_icon = "user"
    menu_label = _("Employment outcomes")
    menu_order = 285


register_snippet(OutcomesGroup)


@hooks.register("register_admin_urls")
def _matching_export_urls():
    return [path("outcomes/matching-export/", admin_views.MatchingExportView.as_view(),
                 name="outcomes_matching_export")]


class MatchingExportMenuItem(MenuItem):
    def is_shown(self, request):
        return user_may_export_matching(user=request.user)


@hooks.register("register_admin_menu_item")
def _matching_export_menu_item():
    return MatchingExportMenuItem(_("Matching export"), reverse("outcomes_matching_export"),
                                  icon_name="download", order=286)
