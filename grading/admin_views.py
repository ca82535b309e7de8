"""The instructors' side of grading in the Wagtail admin.

- The assignment form (a snippet): policy fields plus the source notebook and data files,
  validated on upload (valid notebook, nbgrader metadata, unique grade ids, size) with the
  reason in the form; a new source puts the assignment back to "not released".
- The release page: the last check's report, and a button that runs the check in a worker.
- The gradebook: per course and run, learners × assignments; a learner's page (submissions,
  extensions); a submission's page (feedback, manual grading, override with a reason,
  regrade); "regrade all" for an assignment, with progress; CSV export.

Who may do what is decided by ``grading.selectors.access.can_grade_course`` (instructors of the
course, programme staff, superusers); others get a plain 403.
"""

from __future__ import annotations

import csv
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateTimeInput

from courses.models import CoursePage, Enrolment, ModulePage, ProgrammeRun
from courses.models.runs import ACTIVE_STATUSES
from grading.autograder.notebooks import NotebookInvalid
from grading.models import Assignment, Extension, ReleaseState, Submission
from grading.selectors.access import (
    assignment_course,
    can_grade,
    can_grade_course,
    courses_gradable_by,
)
from grading.selectors.gradebook import course_assignments, gradebook
from grading.selectors.grades import counted_grade, grade_of, manual_answers
from grading.selectors.release import release_report_read
from grading.services.assignments import (
    assignment_release_request,
    assignment_source_set,
    data_file_add,
    source_check,
)
from grading.services.extensions import extension_grant
from grading.services.grades import GradeChangeRefused, grade_manual_set, grade_override
from grading.services.submissions import regrade_request

# --- The assignment form -------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def modules_gradable_by(user):
    courses = list(courses_gradable_by(user=user).only("path", "depth"))
    if not courses:
        return ModulePage.objects.none()
    condition = Q()
    for course in courses:
        condition |= Q(path__startswith=course.path, depth=course.depth + 1)
    return ModulePage.objects.filter(condition).order_by("path")


class AssignmentForm(WagtailAdminModelForm):
    source_file = forms.FileField(
        label=gettext_lazy("Source notebook (.ipynb)"), required=False,
        help_text=gettext_lazy("The nbgrader source with solutions and hidden tests. "
                               "Uploading a new one needs a new release check."),
        widget=forms.ClearableFileInput(attrs={"accept": ".ipynb"}))
    data_upload = MultipleFileField(
        label=gettext_lazy("Data files"), required=False,
        help_text=gettext_lazy("Files the notebook reads, copied beside it for learners and "
                               "for grading. A file with the same name replaces the old one."))
    hidden_upload = MultipleFileField(
        label=gettext_lazy("Hidden data files"), required=False,
        help_text=gettext_lazy("Files only the tests read (a held-out test set with its "
                               "labels, say): never given to learners or to their code. "
                               "A file with the same name replaces the old one."))

    class Meta:
        model = Assignment
        fields = ["key", "title", "module", "due_at", "late_penalty_percent_per_day",
                  "late_penalty_cap_percent", "accept_late_until", "max_attempts", "counting",
                  "pass_mark", "time_limit_seconds"]
        widgets = {"due_at": AdminDateTimeInput, "accept_late_until": AdminDateTimeInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "module" in self.fields and getattr(self, "for_user", None) is not None:
            self.fields["module"].queryset = modules_gradable_by(self.for_user)
        if not self.instance.pk:
            self.fields["source_file"].required = True

    def clean_source_file(self):
        upload = self.cleaned_data.get("source_file")
        if not upload:
            return None
        if upload.size > settings.GRADING_MAX_NOTEBOOK_BYTES:
            raise ValidationError(_("The notebook is larger than %(limit)s MB.") % {
                "limit": settings.GRADING_MAX_NOTEBOOK_BYTES // (1024 * 1024)})
        data = upload.read()
        try:
            source_check(data)
        except NotebookInvalid as exc:
            raise ValidationError(_("This notebook cannot be used: %(reason)s")
                                  % {"reason": exc}) from exc
        return data

    def clean_data_upload(self):
        return self._checked_uploads("data_upload")

    def clean_hidden_upload(self):
        return self._checked_uploads("hidden_upload")

    def _checked_uploads(self, field: str):
        files = self.cleaned_data.get(field) or []
        for upload in files:
            if upload.size > settings.GRADING_MAX_DATA_FILE_BYTES:
                raise ValidationError(_("%(name)s is larger than %(limit)s MB.") % {
                    "name": upload.name,
                    "limit": settings.GRADING_MAX_DATA_FILE_BYTES // (1024 * 1024)})
        return files

    @transaction.atomic
    def save(self, commit=True):
        assignment = super().save(commit=commit)
        if commit:
            self.save_files(assignment)
        return assignment

    def save_files(self, assignment: Assignment) -> None:
        if self.cleaned_data.get("source_file"):
            assignment_source_set(assignment=assignment, data=self.cleaned_data["source_file"])
        for field, hidden in (("data_upload", False), ("hidden_upload", True)):
            for upload in self.cleaned_data.get(field) or []:
                data_file_add(assignment=assignment, name=upload.name, data=upload.read(),
                              hidden=hidden)


# --- Shared plumbing -----------------------------------------------------------------------


class GraderView(WagtailAdminTemplateMixin, TemplateView):
    """An admin page for those who grade the course in question (403 for everyone else)."""

    header_icon = "table"

    def course_for_request(self):
        """The course the page is about (None for the gradebook index)."""
        return None

    def dispatch(self, request, *args, **kwargs):
        course = self.course_for_request()
        if course is not None and not can_grade_course(user=request.user, course=course):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [{"url": reverse("grading_admin:index"), "label": _("Gradebook")},
                *self.own_breadcrumbs()]

    def own_breadcrumbs(self) -> list[dict]:
        return []


def _course(course_id: int) -> CoursePage:
    return get_object_or_404(CoursePage, pk=course_id)


def _run_of(course: CoursePage, run_id: int) -> ProgrammeRun:
    programme = course.get_parent()
    return get_object_or_404(ProgrammeRun, pk=run_id,
                             programme__translation_key=programme.translation_key)


# --- Release ---------------------------------------------------------------------------------


class AssignmentGraderView(GraderView):
    """A page of one assignment, for those who grade its course (403 for everyone else)."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.assignment = get_object_or_404(Assignment.objects.select_related("module"),
                                            pk=kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if not can_grade(user=request.user, assignment=self.assignment):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)


class AssignmentSourceView(AssignmentGraderView):
    """The source notebook as uploaded (solutions and hidden tests: graders only)."""

    def get(self, request, *args, **kwargs):
        if not self.assignment.source:
            raise Http404
        response = FileResponse(self.assignment.source.open("rb"), as_attachment=True,
                                filename=f"{self.assignment.key}-source.ipynb",
                                content_type="application/x-ipynb+json")
        response["Cache-Control"] = "private, no-store"
        return response


class AssignmentDataFileView(AssignmentGraderView):
    """One of the assignment's data files, hidden ones included (graders only)."""

    def get(self, request, *args, **kwargs):
        item = get_object_or_404(self.assignment.data_files, pk=kwargs["file_id"])
        response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)
        response["Cache-Control"] = "private, no-store"
        return response


class AssignmentReleaseView(AssignmentGraderView):
    template_name = "grading/admin/release.html"
    page_title = gettext_lazy("Release check")
    header_icon = "upload"

    def get_page_subtitle(self):
        return str(self.assignment)

    def get_breadcrumbs_items(self):
        return [{"url": reverse("wagtailsnippets_grading_assignment:list"),
                 "label": _("Assignments")},
                {"url": reverse("wagtailsnippets_grading_assignment:edit",
                                args=[self.assignment.pk]), "label": str(self.assignment)},
                {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(release_context(self.assignment))
        return context

    def post(self, request, *args, **kwargs):
        try:
            with transaction.atomic():
                assignment_release_request(assignment=self.assignment)
        except NotebookInvalid as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The release check is running. This page shows its "
                                        "report when it is done."))
        return redirect(request.get_full_path())


def release_context(assignment: Assignment) -> dict:
    """What the release page's report shows (also sent by the status endpoint)."""
    report = assignment.release_report or {}
    return {"assignment": assignment, "report": report,
            "checked": release_report_read(report),
            "checked_at": parse_datetime(report.get("checked_at") or "")}


class AssignmentReleaseStatusView(AssignmentReleaseView):
    """The release check's state as JSON for the release page's script: ``done`` once no
    check is running, with the report's HTML to put in place."""

    def get(self, request, *args, **kwargs):
        assignment = self.assignment
        done = assignment.release_state != ReleaseState.CHECKING
        body = {"state": assignment.release_state,
                "label": str(assignment.get_release_state_display()), "done": done}
        if done:
            body["html"] = render_to_string("grading/admin/release_report.html",
                                            release_context(assignment), request=request)
            body["button"] = str(_("Check and release again")
                                 if assignment.release_state == ReleaseState.RELEASED
                                 else _("Run the check and release"))
        response = JsonResponse(body)
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["GET"])


# --- The gradebook ---------------------------------------------------------------------------


class GradebookIndexView(GraderView):
    template_name = "grading/admin/index.html"
    page_title = gettext_lazy("Gradebook")

    def get_breadcrumbs_items(self):
        return [{"url": "", "label": _("Gradebook")}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        courses = list(courses_gradable_by(user=self.request.user).live()
                       .filter(locale__language_code=settings.LANGUAGE_CODE).order_by("path"))
        items = []
        for course in courses:
            programme = course.get_parent()
            runs = ProgrammeRun.objects.filter(
                programme__translation_key=programme.translation_key).order_by("-year",
                                                                               "-number")
            items.append({"course": course, "programme": programme, "runs": list(runs)})
        context["items"] = items
        return context


class GradebookView(GraderView):
    template_name = "grading/admin/gradebook.html"
    page_title = gettext_lazy("Gradebook")

    def course_for_request(self):
        self.course = _course(self.kwargs["course_id"])
        self.run = _run_of(self.course, self.kwargs["run_id"])
        return self.course

    def get_page_subtitle(self):
        return f"{self.course.title} · {self.run}"

    def own_breadcrumbs(self):
        return [{"url": "", "label": self.get_page_subtitle()}]

    def get(self, request, *args, **kwargs):
        book = gradebook(course=self.course, run=self.run)
        if request.GET.get("format") == "csv":
            return _gradebook_csv(book, self.course, self.run)
        return self.render_to_response(self.get_context_data(book=book))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(course=self.course, run=self.run)
        done, total = context["book"].progress
        context["progress"] = {"done": done, "total": total,
                               "percent": int(100 * done / total) if total else 100}
        return context


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (names are learners' input)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _gradebook_csv(book, course, run) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # so that spreadsheet programs read the Korean names as UTF-8
        header = ["name", "email", "status"]
        for a in book.assignments:
            header += [f"{a.key}:score", f"{a.key}:max", f"{a.key}:attempts", f"{a.key}:late"]
        header.append("total")
        yield writer.writerow(header)
        for row in book.rows:
            line = [_cell(row.enrolment.learner.full_name),
                    _cell(row.enrolment.learner.email), row.enrolment.status]
            for cell in row.cells:
                line += [cell.counted.score if cell.counted else "", cell.assignment.max_score,
                         cell.attempts, "yes" if cell.late else ""]
            line.append(row.total)
            yield writer.writerow(line)

    name = f"gradebook-{course.slug}-run{run.number}-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class RegradeAllView(GraderView):
    def course_for_request(self):
        self.course = _course(self.kwargs["course_id"])
        self.run = _run_of(self.course, self.kwargs["run_id"])
        self.assignment = get_object_or_404(Assignment, pk=self.kwargs["assignment_id"])
        if self.assignment.pk not in {a.pk for a in course_assignments(course=self.course)}:
            raise Http404
        return self.course

    def get(self, request, *args, **kwargs):
        return redirect(_gradebook_url(self.course, self.run))

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            count = regrade_request(
                submissions=Submission.objects.filter(assignment=self.assignment,
                                                      run=self.run),
                actor=request.user)
        messages.success(request, _("%(count)s submissions of %(assignment)s are queued for "
                                    "regrading.") % {"count": count,
                                                     "assignment": self.assignment.title})
        return redirect(_gradebook_url(self.course, self.run))


def _gradebook_url(course, run) -> str:
    return reverse("grading_admin:gradebook", args=[course.pk, run.pk])


class ExtensionForm(forms.Form):
    assignment = forms.ModelChoiceField(queryset=Assignment.objects.none(),
                                        label=gettext_lazy("Assignment"))
    due_at = forms.DateTimeField(label=gettext_lazy("New due date"), widget=AdminDateTimeInput)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class LearnerView(GraderView):
    template_name = "grading/admin/learner.html"
    page_title = gettext_lazy("Learner")

    def course_for_request(self):
        self.course = _course(self.kwargs["course_id"])
        self.run = _run_of(self.course, self.kwargs["run_id"])
        self.enrolment = get_object_or_404(
            Enrolment.objects.select_related("learner"), run=self.run,
            learner_id=self.kwargs["learner_id"], status__in=ACTIVE_STATUSES)
        self.assignments = course_assignments(course=self.course)
        return self.course

    def get_page_subtitle(self):
        return str(self.enrolment.learner)

    def own_breadcrumbs(self):
        return [{"url": _gradebook_url(self.course, self.run),
                 "label": f"{self.course.title} · {self.run}"},
                {"url": "", "label": self.get_page_subtitle()}]

    def form(self, data=None) -> ExtensionForm:
        form = ExtensionForm(data)
        form.fields["assignment"].queryset = Assignment.objects.filter(
            pk__in=[a.pk for a in self.assignments])
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        learner = self.enrolment.learner
        subs = list(Submission.objects.filter(learner=learner, assignment__in=self.assignments)
                    .select_related("grade").order_by("-attempt"))
        extensions = {e.assignment_id: e for e in Extension.objects.filter(
            learner=learner, assignment__in=self.assignments)}
        context["items"] = [{
            "assignment": a,
            "submissions": [s for s in subs if s.assignment_id == a.pk],
            "counted": counted_grade(assignment=a, submissions=[
                s for s in subs if s.assignment_id == a.pk]),
            "extension": extensions.get(a.pk),
            "to_grade": [s for s in subs if s.assignment_id == a.pk
                         and grade_of(s) is not None and s.grade.needs_manual_grade],
        } for a in self.assignments]
        context.update(course=self.course, run=self.run, learner=learner,
                       form=kwargs.get("form") or self.form())
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                extension_grant(assignment=form.cleaned_data["assignment"],
                                learner=self.enrolment.learner,
                                due_at=form.cleaned_data["due_at"],
                                reason=form.cleaned_data["reason"], actor=request.user)
            except GradeChangeRefused as exc:
                form.add_error("reason", str(exc))
            else:
                messages.success(request, _("Extension saved."))
                return redirect(request.get_full_path())
        return self.render_to_response(self.get_context_data(form=form))


class OverrideForm(forms.Form):
    score = forms.DecimalField(label=gettext_lazy("Score"), required=False, min_value=0,
                               max_digits=8, decimal_places=2,
                               help_text=gettext_lazy("Empty removes the override."))
    reason = forms.CharField(label=gettext_lazy("Reason (required, kept in the history and "
                                                "shown to the learner)"),
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SubmissionView(GraderView):
    template_name = "grading/admin/submission.html"
    page_title = gettext_lazy("Submission")

    def course_for_request(self):
        self.submission = get_object_or_404(
            Submission.objects.select_related("assignment__module", "learner", "run"),
            pk=self.kwargs["pk"])
        self.course = assignment_course(self.submission.assignment)
        return self.course

    def get_page_subtitle(self):
        return str(self.submission)

    def own_breadcrumbs(self):
        items = []
        if self.submission.run_id:
            items.append({"url": reverse("grading_admin:learner", args=[
                self.course.pk, self.submission.run_id, self.submission.learner_id]),
                "label": str(self.submission.learner)})
        return [*items, {"url": "", "label": _("Attempt %(n)s") % {
            "n": self.submission.attempt}}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        grade = getattr(self.submission, "grade", None)
        context.update(submission=self.submission, grade=grade,
                       audit=list(grade.audit.select_related("actor")) if grade else [],
                       override_form=kwargs.get("override_form") or OverrideForm(),
                       manual_cells=manual_answers(grade=grade) if grade else [])
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        grade = getattr(self.submission, "grade", None)
        try:
            if action == "regrade":
                with transaction.atomic():
                    regrade_request(submissions=Submission.objects.filter(
                        pk=self.submission.pk), actor=request.user)
                messages.success(request, _("Queued for regrading."))
            elif grade is None:
                messages.error(request, _("This submission has no grade yet."))
            elif action == "manual":
                for cell in [c for c in grade.cells if c.get("manual")]:
                    raw = request.POST.get(f"manual-{cell['grade_id']}", "").strip()
                    if raw:
                        grade = grade_manual_set(grade=grade, grade_id=cell["grade_id"],
                                                 score=Decimal(raw), actor=request.user,
                                                 comment=request.POST.get("comment", ""))
                messages.success(request, _("Manual grades saved."))
            elif action == "override":
                form = OverrideForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(override_form=form))
                grade_override(grade=grade, score=form.cleaned_data["score"],
                               reason=form.cleaned_data["reason"], actor=request.user)
                messages.success(request, _("Grade changed."))
        except (GradeChangeRefused, ArithmeticError, ValueError) as exc:
            messages.error(request, str(exc) or _("Enter a number."))
        return redirect(request.get_full_path())
