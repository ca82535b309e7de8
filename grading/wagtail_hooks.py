"""The grading admin: the assignment snippet (with its release page) and the gradebook.

An instructor sees and opens only the assignments of the courses they teach, in every view of
the snippet (``AssignmentViewSet.get_queryset`` and ``courses.admin_views.ScopedSnippetViewSet``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    MultiFieldPanel,
    ObjectList,
    Panel,
)
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views

from courses.admin_views import ScopedSnippetViewSet
from grading import admin_views
from grading.models import Assignment
from grading.selectors.access import can_grade, courses_gradable_by
from grading.selectors.files import attached_files


def _release_url(assignment) -> str:
    return reverse("grading_admin:release", args=[assignment.pk])


class AssignmentEditView(snippet_views.EditView):
    def get_object(self, queryset=None):
        assignment = super().get_object(queryset)
        if not can_grade(user=self.request.user, assignment=assignment):
            raise PermissionDenied
        return assignment

    def get_header_buttons(self):
        buttons = super().get_header_buttons()
        buttons.insert(0, HeaderButton(_("Release check"), url=_release_url(self.object),
                                       icon_name="upload"))
        return buttons


class AssignmentIndexView(snippet_views.IndexView):
    def get_list_more_buttons(self, instance):
        from wagtail.admin.widgets.button import MenuItem as ButtonMenuItem

        buttons = super().get_list_more_buttons(instance)
        buttons.append(ButtonMenuItem(_("Release check"), url=_release_url(instance),
                                      icon_name="upload", priority=15))
        return buttons


RELEASE_HELP = _(
    "After saving, open “Release check”: the worker generates the learners' version with "
    "nbgrader, grades your source (it must get full marks on the autograded tests; answers "
    "graded by hand are not counted) and the released version (it must get less), and "
    "releases the assignment only if both hold.")


class AttachedFilesPanel(Panel):
    """The files the assignment has now: its source notebook and data files, with their
    sizes, upload times and downloads (the edit page is for its graders only)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "grading/admin/attached_files_panel.html"

        def is_shown(self):
            return bool(self.instance and self.instance.pk)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context.update(attached_files(assignment=self.instance))
            return context


class AssignmentViewSet(ScopedSnippetViewSet):
    model = Assignment
    icon = "doc-full"
    menu_label = _("Assignments")
    menu_order = 260
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_view_class = AssignmentEditView
    index_view_class = AssignmentIndexView
    list_display = [
        "title",
        Column("key", label=_("Key"), sort_key="key"),
        Column("module", label=_("Module"), accessor="module.title"),
        Column("release_state", label=_("Release"), accessor="get_release_state_display",
               sort_key="release_state"),
        DateColumn("due_at", label=_("Due"), sort_key="due_at"),
    ]
    search_fields = ["title", "key"]
    edit_handler = ObjectList([
        HelpPanel(content=RELEASE_HELP),
        FieldRowPanel([FieldPanel("key"), FieldPanel("title")]),
        FieldPanel("module"),
        AttachedFilesPanel(heading=_("Attached files")),
        FieldPanel("source_file"),
        FieldPanel("data_upload"),
        FieldPanel("hidden_upload"),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("due_at"), FieldPanel("accept_late_until")]),
            FieldRowPanel([FieldPanel("late_penalty_percent_per_day"),
                           FieldPanel("late_penalty_cap_percent")]),
            FieldRowPanel([FieldPanel("max_attempts"), FieldPanel("counting")]),
            FieldRowPanel([FieldPanel("pass_mark"), FieldPanel("time_limit_seconds")]),
        ], heading=_("Policy")),
    ], base_form_class=admin_views.AssignmentForm)

    def get_queryset(self, request):
        # The assignments of the courses the user grades: the listing, and (through
        # ScopedSnippetViewSet) every other view of one assignment, the chooser included.
        if request.user.is_superuser:
            return Assignment.objects.select_related("module")
        courses = list(courses_gradable_by(user=request.user).only("path", "depth"))
        condition = Q(pk__in=[])
        for course in courses:
            condition |= Q(module__path__startswith=course.path,
                           module__depth=course.depth + 1)
        return Assignment.objects.filter(condition).select_related("module")


register_snippet(AssignmentViewSet)


admin_urls = ([
    path("", admin_views.GradebookIndexView.as_view(), name="index"),
    path("<int:course_id>/<int:run_id>/", admin_views.GradebookView.as_view(),
         name="gradebook"),
    path("<int:course_id>/<int:run_id>/regrade/<int:assignment_id>/",
         admin_views.RegradeAllView.as_view(), name="regrade_all"),
    path("<int:course_id>/<int:run_id>/learners/<int:learner_id>/",
         admin_views.LearnerView.as_view(), name="learner"),
    path("submissions/<int:pk>/", admin_views.SubmissionView.as_view(), name="submission"),
    path("assignments/<int:pk>/release/", admin_views.AssignmentReleaseView.as_view(),
         name="release"),
    path("assignments/<int:pk>/source/", admin_views.AssignmentSourceView.as_view(),
         name="source"),
    path("assignments/<int:pk>/files/<int:file_id>/",
         admin_views.AssignmentDataFileView.as_view(), name="data_file"),
    path("assignments/<int:pk>/release/status/",
         admin_views.AssignmentReleaseStatusView.as_view(), name="release_status"),
], "grading_admin")


@hooks.register("register_admin_urls")
def _gradebook_urls():
    return [path("gradebook/", include(admin_urls))]


class GradebookMenuItem(MenuItem):
    def is_shown(self, request):
        return courses_gradable_by(user=request.user).exists()


@hooks.register("register_admin_menu_item")
def _gradebook_menu_item():
    return GradebookMenuItem(_("Gradebook"), reverse("grading_admin:index"), icon_name="table",
                             order=270)
