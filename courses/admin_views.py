"""Wagtail admin views for programme staff: enrolment actions and bulk enrolment from CSV;
and the snippet viewset base that keeps every admin view of an object within what its
listing shows the user (``ScopedSnippetViewSet``, for runs, enrolments and assignments).

Each view checks a Django model permission (granted to the programme staff group by a
migration), translates the request into a call to ``courses.services`` and shows the outcome as
a Wagtail message or a report. A refusal from a service is a message, never an error page.
"""

from __future__ import annotations

import csv
import io
from functools import wraps

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_list_or_404, get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, reverse
from django.utils.functional import cached_property, classproperty
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import permission_denied
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.models import get_snippet_models
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views.snippets import SnippetViewSet

from courses.models import Enrolment, EnrolmentStatus, ProgrammeRun
from courses.services.enrolments import enrolment_approve, enrolment_drop, enrolments_bulk_create

# A CSV of 2,000 email addresses (the service's row limit) is well under this.
MAX_BULK_UPLOAD_BYTES = 1024 * 1024

# Statuses an enrolment can be dropped from (completed enrolments are final).
DROPPABLE_STATUSES = (EnrolmentStatus.APPLIED, EnrolmentStatus.ENROLLED)


# --- Forms ---------------------------------------------------------------------------------------


class BulkEnrolForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("One email address per row; a first row \"email\" is optional. "
                               "Saved as CSV UTF-8, at most 1 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BULK_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files "
                  "and upload them one after the other.")
                % {"size": filesizeformat(upload.size),
                   "limit": filesizeformat(MAX_BULK_UPLOAD_BYTES)},
                code="too_large",
            )
        return upload


class DropForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for dropping"),
        help_text=gettext_lazy("Kept with the enrolment and counted in the statistics."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConfirmForm(forms.Form):
    """No fields: the POST itself (with its CSRF token) confirms the action."""


class EnrolmentAddForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Learner's email address"),
                             help_text=gettext_lazy("The learner must have an account."))
    run = forms.ModelChoiceField(
        label=gettext_lazy("Run"),
        queryset=ProgrammeRun.objects.select_related("programme").order_by("-year", "-number"),
    )


# --- Shared plumbing -----------------------------------------------------------------------------


class StaffFormView(WagtailAdminTemplateMixin, FormView):
    """A form view in the admin's furniture that requires one Django model permission.

    The viewset passes the URL names and the breadcrumbs it uses for its own views.
    """

    permission_required = ""
    index_url_name = ""
    edit_url_name = ""
    header_icon = "group"
    breadcrumbs_items = []

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission_required):
            # A plain 403: raising PermissionDenied would make Wagtail redirect to the dashboard.
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def index_url(self) -> str:
        return reverse(self.index_url_name)

    def get_success_url(self) -> str:
        return get_valid_next_url_from_request(self.request) or self.index_url

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, *self.get_own_breadcrumbs()]

    def get_own_breadcrumbs(self) -> list[dict]:
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = get_valid_next_url_from_request(self.request)
        context["index_url"] = self.index_url
        return context


# --- Snippets seen object by object ---------------------------------------------------------------


def _scope(view) -> QuerySet:
    """The objects of the chooser's model that its viewset lists for the request's user."""
    return view.model_class.snippet_viewset.get_queryset(view.request)


class ScopedChooseView(snippet_chooser.ChooseView):
    def get_object_list(self):
        return _scope(self)


class ScopedChooseResultsView(snippet_chooser.ChooseResultsView):
    def get_object_list(self):
        return _scope(self)


class ScopedChosenView(snippet_chooser.SnippetChosenView):
    def get(self, request, pk):
        if self.model_class.snippet_viewset.refused(request, pk):
            return permission_denied(request, PermissionDenied())
        return super().get(request, pk)

    def get_object(self, pk):
        if not str(pk).isdigit():
            raise Http404
        return _scope(self).get(pk=pk)


class ScopedChosenMultipleView(snippet_chooser.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return _scope(self).filter(pk__in=[pk for pk in pks if str(pk).isdigit()])


class ScopedChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


class ScopedSnippetViewSet(SnippetViewSet):
    """A snippet viewset whose ``get_queryset(request)`` is exactly what the user may see of
    the model in the admin (for instance the assignments of the courses they teach).

    Wagtail narrows only the listing to that queryset; its other views fetch the object by
    primary key from the whole table, and most check model permissions only. Here every URL
    of the viewset that names an object (edit, delete, history, usage, inspect, copy,
    revisions, locking, workflow, and the viewset's own additions) answers a plain 403 for an
    object outside the queryset before the view runs; the chooser and the bulk delete
    (``ScopedDeleteBulkAction``) list and take only those objects too. A view added to Wagtail
    later is covered the same way, being one more URL with a ``pk``. Primary keys are integers.
    """

    chooser_viewset_class = ScopedChooserViewSet

    def get_queryset(self, request) -> QuerySet:
        raise NotImplementedError

    def refused(self, request, pk) -> bool:
        """Whether the object exists but lies outside what the user may see (an unknown key
        is left to the view, which answers 404)."""
        pk = unquote(str(pk))
        if not pk.isdigit() or not self.model._default_manager.filter(pk=pk).exists():
            return False
        return not self.get_queryset(request).filter(pk=pk).exists()

    def get_urlpatterns(self):
        return [self._scoped(pattern) for pattern in super().get_urlpatterns()]

    def _scoped(self, pattern):
        if not isinstance(pattern, URLPattern) or "pk" not in pattern.pattern.regex.groupindex:
            return pattern
        view = pattern.callback

        @wraps(view)  # keeps view_class, csrf_exempt...
        def scoped_view(request, *args, **kwargs):
            if self.refused(request, kwargs["pk"]):
                # A plain 403: raising PermissionDenied would make Wagtail redirect to the
                # dashboard.
                return permission_denied(request, PermissionDenied())
            return view(request, *args, **kwargs)

        return URLPattern(pattern.pattern, scoped_view, pattern.default_args, pattern.name)


def scoped_snippet_models() -> list:
    return [model for model in get_snippet_models()
            if isinstance(getattr(model, "snippet_viewset", None), ScopedSnippetViewSet)]


class ScopedDeleteBulkAction(DeleteBulkAction):
    """Wagtail's bulk delete of snippets, for the models of a ``ScopedSnippetViewSet``: it
    lists (even as "you may not delete these") and deletes only the objects the user may
    see. Registered after Wagtail's, which it replaces for those models."""

    @classproperty
    def models(cls):
        return scoped_snippet_models()

    def get_queryset(self, model, object_ids):  # a classmethod in Wagtail; called on self
        ids = [pk for pk in object_ids if str(pk).isdigit()]
        return get_list_or_404(model.snippet_viewset.get_queryset(self.request), pk__in=ids)


# --- Enrolment actions ---------------------------------------------------------------------------


class EnrolmentActionView(StaffFormView):
    """Confirm and perform one action on one enrolment (approve or drop)."""

    permission_required = "courses.change_enrolment"
    template_name = "courses/admin/enrolment_action.html"
    submit_label = ""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.enrolment = get_object_or_404(
            Enrolment.objects.select_related("learner", "run__programme"), pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.enrolment.learner)

    def get_own_breadcrumbs(self):
        return [
            {"url": self.index_url, "label": capfirst(Enrolment._meta.verbose_name_plural)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["enrolment"] = self.enrolment
        context["submit_label"] = self.submit_label
        context["action_url"] = self.request.get_full_path()
        return context

    def perform(self, form) -> str:
        """Call the service; return the success message. May raise ValidationError."""
        raise NotImplementedError

    def form_valid(self, form):
        try:
            message = self.perform(form)
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        else:
            messages.success(self.request, message)
        return redirect(self.get_success_url())


class EnrolmentApproveView(EnrolmentActionView):
    form_class = ConfirmForm
    page_title = gettext_lazy("Approve application")
    header_icon = "check"

    @property
    def submit_label(self):
        return _("Approve")

    def perform(self, form) -> str:
        enrolment_approve(enrolment=self.enrolment)
        return _("%(learner)s is now enrolled in %(run)s.") % {
            "learner": self.enrolment.learner, "run": self.enrolment.run}


class EnrolmentDropView(EnrolmentActionView):
    form_class = DropForm
    page_title = gettext_lazy("Drop enrolment")
    header_icon = "cross"

    @property
    def submit_label(self):
        return _("Drop")

    def perform(self, form) -> str:
        enrolment_drop(enrolment=self.enrolment, reason=form.cleaned_data["reason"])
        return _("%(learner)s was dropped from %(run)s.") % {
            "learner": self.enrolment.learner, "run": self.enrolment.run}


class EnrolmentAddView(StaffFormView):
    """Enrol one learner by email, with the same rules as a bulk upload of one row."""

    permission_required = "courses.add_enrolment"
    form_class = EnrolmentAddForm
    template_name = "courses/admin/enrolment_add.html"
    page_title = gettext_lazy("Enrol a learner")

    def get_initial(self):
        initial = super().get_initial()
        if run_id := self.request.GET.get("run", "").strip():
            initial["run"] = run_id if run_id.isdigit() else None
        return initial

    def get_own_breadcrumbs(self):
        return [
            {"url": self.index_url, "label": capfirst(Enrolment._meta.verbose_name_plural)},
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form):
        buffer = io.StringIO()
        csv.writer(buffer).writerow([form.cleaned_data["email"]])
        run = form.cleaned_data["run"]
        report = enrolments_bulk_create(run=run, data=buffer.getvalue().encode("utf-8"))
        problems = [report.error] if report.error else [
            row.message for row in report.rows if row.outcome not in ("enrolled", "applied")]
        if problems:
            for problem in problems:
                form.add_error("email", problem)
            return self.form_invalid(form)
        messages.success(self.request, _("%(email)s: %(outcome)s in %(run)s.") % {
            "email": form.cleaned_data["email"],
            "outcome": EnrolmentStatus(report.done[0].outcome).label, "run": run})
        return redirect(self.get_success_url())


# --- Bulk enrolment ------------------------------------------------------------------------------


class RunBulkEnrolView(StaffFormView):
    """Upload a CSV of email addresses and enrol them in a run; show what was done and why not."""

    permission_required = "courses.add_enrolment"
    form_class = BulkEnrolForm
    template_name = "courses/admin/run_bulk_enrol.html"
    page_title = gettext_lazy("Bulk enrol from CSV")
    header_icon = "upload"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.run = get_object_or_404(ProgrammeRun.objects.select_related("programme"),
                                     pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.run)

    def get_own_breadcrumbs(self):
        return [
            {"url": self.index_url,
             "label": capfirst(ProgrammeRun._meta.verbose_name_plural)},
            {"url": reverse(self.edit_url_name, args=[self.run.pk]), "label": str(self.run)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["run"] = self.run
        context["max_size"] = MAX_BULK_UPLOAD_BYTES
        return context

    def form_valid(self, form):
        report = enrolments_bulk_create(run=self.run, data=form.cleaned_data["file"].read())
        if report.error:
            form.add_error("file", report.error)
            return self.form_invalid(form)
        if report.malformed:
            messages.error(self.request, _(
                "Nothing was enrolled: %(count)s rows of the file are malformed. Fix them and "
                "upload the file again.") % {"count": len(report.malformed)})
        elif report.refused:
            messages.warning(self.request, _(
                "%(done)s rows done, %(refused)s refused. The reasons are listed below.")
                % {"done": len(report.done), "refused": len(report.refused)})
        else:
            messages.success(self.request, _("All %(done)s rows done.")
                             % {"done": len(report.done)})
        return self.render_to_response(self.get_context_data(form=self.form_class(),
                                                             report=report))
