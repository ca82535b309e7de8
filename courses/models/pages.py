"""The page tree: catalogue → programme → course → module.

Pages hold content only. What their templates show besides (outlines, progress, runs, the
enrol actions) is read through ``courses.selectors`` by the template tags of
``courses/templatetags/course_pages.py``; a learner's visit to a module is recorded by the
``on_serve_page`` hook in ``courses/wagtail_hooks.py``. So the models import nothing that
imports them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PageViewRestriction
from wagtail.search import index

from courses.blocks import RICH_TEXT_FEATURES, ModuleBodyBlock


class KnownRestrictionsMixin:
    """A page whose router (``courses.routing``) has already asked, in the query that loaded
    it, whether it or an ancestor has a view restriction or is an alias: when neither, Wagtail's
    check of view restrictions needs no query of its own. Any other way of loading the page
    leaves the attribute unset, and Wagtail's own check runs."""

    view_restrictions_known_empty = False

    def get_view_restrictions(self):
        if self.view_restrictions_known_empty:
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


class CataloguePage(Page):
    """The home page of a locale: introduces the platform and lists its programmes."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.ProgrammePage"]

    class Meta:
        verbose_name = _("catalogue")



class ProgrammePage(KnownRestrictionsMixin, Page):
    """A micro-degree: what it teaches, to whom, in how many hours, and how it is completed."""

    summary = models.TextField(_("summary"), max_length=500)
    audience = RichTextField(_("who it is for"), features=RICH_TEXT_FEATURES)
    total_hours = models.PositiveSmallIntegerField(_("total hours"))
    learning_outcomes = RichTextField(_("learning outcomes"), features=RICH_TEXT_FEATURES)
    completion_rule = RichTextField(_("completion rule"), features=RICH_TEXT_FEATURES,
                                    help_text=_("How a learner completes the programme."))

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("total_hours"),
        FieldPanel("audience"),
        FieldPanel("learning_outcomes"),
        FieldPanel("completion_rule"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary", boost=2),
        index.SearchField("audience"),
        index.SearchField("learning_outcomes"),
        index.FilterField("total_hours"),
    ]
    parent_page_types = ["courses.CataloguePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")



class CoursePage(KnownRestrictionsMixin, Page):
    """A course of a programme, made of modules; optionally gated (modules unlock in order)."""

    summary = models.TextField(_("summary"), max_length=500)
    hours = models.PositiveSmallIntegerField(_("hours"))
    gated = models.BooleanField(
        _("modules unlock in order"), default=False,
        help_text=_("A learner opens a module only after completing the one before it."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("hours"),
        FieldPanel("gated"),
        MultiFieldPanel([InlinePanel("instructors", label=_("Instructor"))],
                        heading=_("Instructors")),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary", boost=2)]
    parent_page_types = ["courses.ProgrammePage"]
    subpage_types = ["courses.ModulePage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")



class CourseInstructor(Orderable):
    """An instructor assigned to a course; they may edit that course's pages (and only those)."""

    course = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="instructors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taught_courses",
        verbose_name=_("instructor"), limit_choices_to={"groups__name": "instructor"},
    )

    panels = [FieldPanel("user")]

    class Meta(Orderable.Meta):
        verbose_name = _("course instructor")
        verbose_name_plural = _("course instructors")
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="instructor_once_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


class ModulePage(KnownRestrictionsMixin, Page):
    """A unit of learning: reading, code, media and, optionally, a notebook assignment."""

    summary = models.TextField(_("summary"), max_length=500, blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=30)
    body = StreamField(ModuleBodyBlock(), verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("estimated_minutes"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary", boost=2),
        index.SearchField("body"),
    ]
    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    @property
    def assignment_keys(self) -> list[str]:
        """Keys of the notebook assignments placed in this module, in order."""
        return [block.value["assignment_key"] for block in self.body
                if block.block_type == "notebook_assignment"]

    @property
    def is_reading(self) -> bool:
        """A reading module is completed by the learner; others by their assignments."""
        return not self.assignment_keys


