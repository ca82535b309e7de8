"""Admin views of employment outcomes: staff corrections (the source becomes staff) and the
matching export for programme operators (a CSV download, logged)."""

from __future__ import annotations

import io
import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log
from wagtail.snippets.views import snippets as snippet_views

from courses.models import ProgrammePage
from lms.outcomes.forms import MatchingExportForm
from lms.outcomes.models import ExportChannel
from lms.outcomes.selectors import (
    MatchingFilterError,
    matching_filters_parse,
    user_may_export_matching,
)
from lms.outcomes.services import matching_export_write, outcome_answer_by_staff

logger = logging.getLogger(__name__)


class OutcomeEditView(snippet_views.EditView):
    def save_instance(self):
        outcome = outcome_answer_by_staff(outcome=self.form.save(commit=False),
                                          actor=self.request.user)
        log(instance=outcome, action="wagtail.edit", user=self.request.user)
        return outcome


def _programmes() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for key, title in (ProgrammePage.objects.order_by("locale_id", "title")
                       .values_list("translation_key", "title")):
        seen.setdefault(str(key), title)
    return sorted(seen.items(), key=lambda item: item[1])


class MatchingExportView(WagtailAdminTemplateMixin, TemplateView):
    """The matching list for operators: completers who consented to matching with public
    employment records. Programme staff with the export permission only; every download is
    logged."""

    template_name = "outcomes/admin/matching_export.html"
    page_title = gettext_lazy("Matching export")
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        if not user_may_export_matching(user=request.user):
            logger.warning("matching export refused to user %s", request.user.pk)
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or MatchingExportForm(
            initial={"year": timezone.localdate().year}, programmes=_programmes())
        return context

    def post(self, request, *args, **kwargs):
        form = MatchingExportForm(request.POST, programmes=_programmes())
        if form.is_valid():
            try:
                filters = matching_filters_parse(year=form.cleaned_data["year"],
                                                 programme=form.cleaned_data["programme"],
                                                 run=form.cleaned_data["run"])
            except MatchingFilterError as exc:
                form.add_error(None, str(exc))
            else:
                buffer = io.StringIO()
                matching_export_write(file=buffer, operator=request.user,
                                      channel=ExportChannel.ADMIN, filters=filters)
                response = HttpResponse(buffer.getvalue().encode("utf-8"),
                                        content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = (
                    f'attachment; filename="aimd-matching-{filters.year}.csv"')
                response["Cache-Control"] = "private, no-store"
                return response
        return self.render_to_response(self.get_context_data(form=form))
