"""The Wagtail admin of the course site.

- Snippet viewsets for programme runs and enrolments (menu "Enrolment"), with the enrolment
  actions and the bulk upload of programme staff (``courses.admin_views``). Every view of one
  run or enrolment (edit, history, usage...) shows only what the listing shows the user
  (``ScopedSnippetViewSet``): instructors see the enrolments of their own programmes.
- Hooks that keep page permissions in step with the page tree when a page is created, copied
  or deleted in the admin. (Publishing and translating are handled in ``courses.receivers``,
  because a page also goes live through an approved workflow, which runs no admin hook.)
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.widgets.button import HeaderButton
from wagtail.admin.widgets.button import MenuItem as ButtonMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from courses import admin_views
from courses.models import (
    CataloguePage,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    ModulePage,
    ProgrammePage,
    ProgrammeRun,
)
from courses.models.runs import ACTIVE_STATUSES
from courses.permissions import course_permissions_prune
from courses.receivers import page_permissions_refresh
from courses.selectors import enrolments_visible_to
from courses.services.progress import module_visit
from courses.templatetags.course_pages import module_view_for_request

# --- Page permissions follow the page tree -------------------------------------------------------


@hooks.register("after_create_page")
def _course_permissions_after_create(request, page):
    page_permissions_refresh(page)


@hooks.register("after_copy_page")
def _course_permissions_after_copy(request, page, new_page):
    # A copied course is a new course (new translation key); so is each course copied along
    # with a programme.
    for course in CoursePage.objects.descendant_of(new_page, inclusive=True):
        page_permissions_refresh(course)
    if isinstance(new_page.specific, CataloguePage):
        page_permissions_refresh(new_page)


@hooks.register("after_delete_page")
def _course_permissions_after_delete(request, page):
    course_permissions_prune()


# --- Programme runs ------------------------------------------------------------------------------


def _can_enrol(user) -> bool:
    return user.has_perm("courses.add_enrolment")


class RunIndexView(snippet_views.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if _can_enrol(self.request.user):
            buttons.append(ButtonMenuItem(
                _("Bulk enrol from CSV"), icon_name="upload", priority=15,
                url=reverse(RunViewSet.bulk_url_name(), args=[instance.pk])))
            buttons.append(ButtonMenuItem(
                _("Enrolments"),
                url=reverse(EnrolmentViewSet.list_url_name()) + f"?run={instance.pk}",
                icon_name="group", priority=16))
        return buttons


class RunEditView(snippet_views.EditView):
    def get_header_buttons(self):
        buttons = super().get_header_buttons()
        if _can_enrol(self.request.user):
            buttons.insert(0, HeaderButton(
                _("Bulk enrol from CSV"),
                url=reverse(RunViewSet.bulk_url_name(), args=[self.object.pk]),
                icon_name="upload"))
        return buttons


class RunDeleteView(snippet_views.DeleteView):
    """A run with enrolments is kept (the database protects them): say so instead of failing."""

    def _refuse(self):
        messages.error(self.request, _("This run has enrolments and cannot be deleted."))
        return redirect(reverse(RunViewSet.edit_url_name(), args=[self.object.pk]))

    # After the permission check of dispatch().
    def get(self, request, *args, **kwargs):
        if self.object.enrolments.exists():
            return self._refuse()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.object.enrolments.exists():
            return self._refuse()
        return super().post(request, *args, **kwargs)


class RunFilterSet(WagtailFilterSet):
    year = django_filters.NumberFilter(label=_("Year"))
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=ProgrammePage.objects.order_by("path"))

    class Meta:
        model = ProgrammeRun
        fields = ["year", "programme"]


class RunViewSet(admin_views.ScopedSnippetViewSet):
    model = ProgrammeRun
    icon = "date"
    menu_label = _("Runs")
    menu_order = 100
    copy_view_enabled = False
    index_view_class = RunIndexView
    edit_view_class = RunEditView
    delete_view_class = RunDeleteView
    filterset_class = RunFilterSet
    ordering = ["-year", "-number"]
    list_per_page = 50
    # The first column is the title column (linked, with the row's action buttons).
    list_display = [
        "__str__",
        Column("programme", label=_("Programme"), accessor="programme.title",
               sort_key="programme__title"),
        Column("number", label=_("Run number"), sort_key="number"),
        Column("year", label=_("Year"), sort_key="year"),
        # Calendar dates, shown as dates (DateColumn would say "in 3 weeks").
        Column("starts_on", label=_("Starts on"), sort_key="starts_on"),
        Column("ends_on", label=_("Ends on"), sort_key="ends_on"),
        Column("capacity", label=_("Capacity"), sort_key="capacity"),
        Column("taken", label=_("Seats taken"), sort_key="taken"),
    ]
    panels = [
        FieldPanel("programme"),
        FieldRowPanel([FieldPanel("number"), FieldPanel("year")]),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")],
                      heading=_("Dates")),
        FieldRowPanel([FieldPanel("enrolment_opens_at"), FieldPanel("enrolment_closes_at")],
                      heading=_("Enrolment window")),
        FieldRowPanel([FieldPanel("capacity"), FieldPanel("requires_approval")]),
    ]

    @classmethod
    def bulk_url_name(cls) -> str:
        return "wagtailsnippets_courses_programmerun:bulk_enrol"

    @classmethod
    def edit_url_name(cls) -> str:
        return "wagtailsnippets_courses_programmerun:edit"

    def get_queryset(self, request):
        # Every run: only programme staff (and superusers) have permissions on runs.
        return (ProgrammeRun.objects.select_related("programme")
                .annotate(taken=Count("enrolments",
                                      filter=Q(enrolments__status__in=ACTIVE_STATUSES))))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("bulk-enrol/<int:pk>/", admin_views.RunBulkEnrolView.as_view(
                index_url_name=self.get_url_name("list"),
                edit_url_name=self.get_url_name("edit"),
                breadcrumbs_items=self.breadcrumbs_items,
            ), name="bulk_enrol"),
        ]


# --- Enrolments ----------------------------------------------------------------------------------


def str_run(enrolment: Enrolment) -> str:
    return str(enrolment.run)


class EnrolmentIndexView(snippet_views.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("change"):
            next_query = f"?next={self.request.get_full_path()}"
            if instance.status == EnrolmentStatus.APPLIED:
                buttons.append(ButtonMenuItem(
                    _("Approve"), icon_name="check", priority=5,
                    url=reverse(EnrolmentViewSet.action_url_name("approve"), args=[instance.pk])
                    + next_query))
            if instance.status in admin_views.DROPPABLE_STATUSES:
                buttons.append(ButtonMenuItem(
                    _("Drop"), icon_name="cross", priority=40,
                    url=reverse(EnrolmentViewSet.action_url_name("drop"), args=[instance.pk])
                    + next_query))
        return buttons


class EnrolmentEditView(snippet_views.EditView):
    """Enrolments change only through their actions; the form shows them read-only."""

    def get_header_buttons(self):
        buttons = super().get_header_buttons()
        if self.request.user.has_perm("courses.change_enrolment"):
            if self.object.status == EnrolmentStatus.APPLIED:
                buttons.insert(0, HeaderButton(
                    _("Approve"), icon_name="check",
                    url=reverse(EnrolmentViewSet.action_url_name("approve"),
                                args=[self.object.pk])))
            if self.object.status in admin_views.DROPPABLE_STATUSES:
                buttons.insert(1, HeaderButton(
                    _("Drop"), icon_name="cross",
                    url=reverse(EnrolmentViewSet.action_url_name("drop"),
                                args=[self.object.pk])))
        return buttons


class EnrolmentFilterSet(WagtailFilterSet):
    run = django_filters.ModelChoiceFilter(
        label=_("Run"),
        queryset=ProgrammeRun.objects.select_related("programme").order_by("-year", "-number"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EnrolmentStatus.choices)

    class Meta:
        model = Enrolment
        fields = ["run", "status"]


class EnrolmentViewSet(admin_views.ScopedSnippetViewSet):
    model = Enrolment
    icon = "group"
    menu_label = _("Enrolments")
    menu_order = 200
    copy_view_enabled = False
    index_view_class = EnrolmentIndexView
    edit_view_class = EnrolmentEditView
    filterset_class = EnrolmentFilterSet
    search_fields = ["learner__email"]
    ordering = ["-applied_at"]
    list_per_page = 50
    list_display = [
        "learner",
        Column("run", label=_("Run"), accessor=str_run),
        StatusTagColumn("status", label=_("Status"), accessor="get_status_display",
                        sort_key="status",
                        primary=lambda e: e.status == EnrolmentStatus.APPLIED),
        DateColumn("applied_at", label=_("Applied at"), sort_key="applied_at"),
        DateColumn("enrolled_at", label=_("Enrolled at"), sort_key="enrolled_at"),
        DateColumn("dropped_at", label=_("Dropped at"), sort_key="dropped_at"),
    ]
    panels = [
        MultiFieldPanel([
            FieldPanel("learner", read_only=True),
            FieldPanel("run", read_only=True),
            FieldPanel("status", read_only=True),
        ], heading=_("Enrolment")),
        MultiFieldPanel([
            FieldPanel("applied_at", read_only=True),
            FieldPanel("enrolled_at", read_only=True),
            FieldPanel("completed_at", read_only=True),
            FieldPanel("dropped_at", read_only=True),
            FieldPanel("drop_reason", read_only=True),
        ], heading=_("History")),
    ]

    @classmethod
    def list_url_name(cls) -> str:
        return "wagtailsnippets_courses_enrolment:list"

    @classmethod
    def action_url_name(cls, action: str) -> str:
        return f"wagtailsnippets_courses_enrolment:{action}"

    def get_queryset(self, request):
        # Instructors see the learners of their own programmes only.
        return enrolments_visible_to(user=request.user).select_related("learner",
                                                                      "run__programme")

    def get_urlpatterns(self):
        common = {
            "index_url_name": self.get_url_name("list"),
            "breadcrumbs_items": self.breadcrumbs_items,
        }
        # Enrolling one learner goes through the same service as a bulk upload, never a bare
        # model form (which could break the capacity or the dropped-needs-a-reason rule).
        return [
            path("add/", admin_views.EnrolmentAddView.as_view(**common), name="add"),
            *(p for p in super().get_urlpatterns() if getattr(p, "name", None) != "add"),
            path("approve/<int:pk>/", admin_views.EnrolmentApproveView.as_view(**common),
                 name="approve"),
            path("drop/<int:pk>/", admin_views.EnrolmentDropView.as_view(**common),
                 name="drop"),
        ]


class EnrolmentAdminGroup(SnippetViewSetGroup):
    items = (RunViewSet, EnrolmentViewSet)
    menu_icon = "group"
    menu_label = _("Enrolment")
    menu_name = "enrolment"
    menu_order = 250


register_snippet(EnrolmentAdminGroup)
# After Wagtail's bulk delete (order 0), which it replaces for runs, enrolments and assignments.
hooks.register("register_bulk_action", admin_views.ScopedDeleteBulkAction, order=100)


# --- A learner's visit to a module ("continue where you left off") ---------------------------


@hooks.register("on_serve_page", order=100)  # inside Wagtail's view restrictions (order 0)
def record_module_visit(serve):
    """Mark the page as served live to this request (previews do not pass through here: only
    such a page's body is taken from the cache, ``courses.rendering``) and, for a signed-in
    user on a module page, remember the visit: a first visit at once, a later one noted for
    the next batch (``courses.services.progress.module_visit``), no write per view.

    The module's view is the one the page's template shows (kept on the request), so the
    visit costs no query of its own."""
    def inner(page, request, serve_args, serve_kwargs):
        request.lms_served_live_page_id = page.pk
        # The learner's page cache keeps a live page that no view restriction guards (one
        # would depend on the session: a password entered).
        request.lms_page_cacheable = getattr(page, "view_restrictions_known_empty", False)
        if isinstance(page, ModulePage):
            request.lms_page_cache_module_key = str(page.translation_key)
        if isinstance(page, ModulePage) and request.user.is_authenticated:
            item = module_view_for_request(request, page).item
            if item is not None:
                seen_before = item.last_viewed_at is not None
                module_visit(learner=request.user, module=page, seen_before=seen_before)
                if not seen_before:  # the page shows the module as started, as it now is
                    item.last_viewed_at = timezone.now()
        return serve(page, request, serve_args, serve_kwargs)

    return inner
