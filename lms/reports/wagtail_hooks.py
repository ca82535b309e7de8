"""Programme staff edit the yearly targets in the Wagtail admin; the dashboard is linked
from the admin menu for those who may see it."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from lms.accounts.selectors import user_may_see_reports
from lms.reports.models import YearlyTarget


class YearlyTargetViewSet(SnippetViewSet):
    model = YearlyTarget
    icon = "date"
    menu_label = _("Yearly targets")
    menu_order = 280
    add_to_admin_menu = True
    list_display = ["year", "target", "note"]
    ordering = ["year"]


register_snippet(YearlyTargetViewSet)


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return user_may_see_reports(user=request.user)


@hooks.register("register_admin_menu_item")
def _dashboard_menu_item():
    return DashboardMenuItem(_("Ministry dashboard"), reverse("reports:dashboard"),
                             icon_name="table", order=290)
