"""Reads for the course pages and the learner's dashboard.

Every selector issues a fixed number of queries, whatever the number of courses, modules or
learners: outlines come from one query per page type over the tree path, progress from one
query per learner, seat counts from one aggregate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale, Page

from courses.caching import tree_cached
from courses.models import (
    CataloguePage,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    ModulePage,
    ModuleProgress,
    ProgrammePage,
    ProgrammeRun,
)
from courses.models.runs import ACTIVE_STATUSES, LEARNING_STATUSES
from lms.accounts.models import Role
from lms.accounts.selectors import user_roles

# --- Who may see what ----------------------------------------------------------------------


def user_is_course_staff(*, user) -> bool:
    """Staff, instructors and programme staff read every module (to teach and review it)."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(user_roles(user=user) & {Role.INSTRUCTOR, Role.PROGRAMME_STAFF})


def learner_enrolments(*, user, programme_keys) -> list[Enrolment]:
    """The user's enrolments in runs of the given programmes (by translation key)."""
    if not user.is_authenticated:
        return []
    return list(
        Enrolment.objects.filter(learner=user, run__programme__translation_key__in=programme_keys)
        .select_related("run")
        .order_by("-applied_at")
    )


def _learning_enrolment(enrolments: list[Enrolment]) -> Enrolment | None:
    return next((e for e in enrolments if e.status in LEARNING_STATUSES), None)


# --- Outlines and progress -----------------------------------------------------------------


@dataclass
class ModuleItem:
    page: ModulePage
    completed: bool = False
    locked: bool = False
    last_viewed_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def last_activity_at(self) -> datetime | None:
        """When the learner last did something here: opened it, or completed it (a grade
        completes an assignment module after the learner has moved on)."""
        times = [t for t in (self.last_viewed_at, self.completed_at) if t]
        return max(times) if times else None


@dataclass
class CourseOutline:
    page: CoursePage
    modules: list[ModuleItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.modules)

    @property
    def completed(self) -> int:
        return sum(1 for m in self.modules if m.completed)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0

    @property
    def next_module(self) -> ModuleItem | None:
        return next((m for m in self.modules if not m.completed and not m.locked), None)


def _progress_by_key(*, user, keys) -> dict:
    if not user.is_authenticated or not keys:
        return {}
    return {p.module_key: p for p in ModuleProgress.objects.filter(learner=user,
                                                                   module_key__in=keys)}


def _under_any(paths: list[str]) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return condition


def course_modules(*, course: Page, live: bool = True) -> QuerySet[ModulePage]:
    """The modules of a course, in order (only the live ones unless ``live`` is False)."""
    modules = ModulePage.objects.child_of(course).order_by("path")
    return modules.live() if live else modules


def programme_modules(*, programme: Page) -> list[ModulePage]:
    """The live modules of a programme's live courses, in order."""
    return list(ModulePage.objects.live().filter(
        path__startswith=programme.path, depth=programme.depth + 2).order_by("path")
        .filter(_under_any([c.path for c in CoursePage.objects.child_of(programme).live()])))


# The fields an outline shows of a module (the rest stays in the database).
_OUTLINE_MODULE_FIELDS = ("id", "path", "depth", "title", "slug", "url_path", "translation_key",
                          "locale_id", "summary", "estimated_minutes", "live", "content_type_id")


@dataclass
class ProgrammeTree:
    """A programme with its live courses and their live modules, in order: what its outline
    shows everyone, kept in the tree cache (``courses.caching``)."""

    programme: ProgrammePage
    courses: list[CoursePage]
    modules: list[ModulePage]

    def modules_of(self, course: Page) -> list[ModulePage]:
        return [m for m in self.modules if m.path[: len(m.path) - Page.steplen] == course.path]


def programme_tree(*, programme_path: str) -> ProgrammeTree | None:
    """The programme at ``programme_path`` (live or not) and its live courses and modules;
    None when there is no programme there. Three queries when the tree cache has not got it,
    none when it has."""
    def build() -> ProgrammeTree | None:
        programme = ProgrammePage.objects.filter(path=programme_path).first()
        if programme is None:
            return None
        courses = list(CoursePage.objects.live().child_of(programme).order_by("path"))
        modules = list(ModulePage.objects.live()
                       .filter(path__startswith=programme.path, depth=programme.depth + 2)
                       .filter(_under_any([c.path for c in courses]))
                       .order_by("path").only(*_OUTLINE_MODULE_FIELDS))
        return ProgrammeTree(programme=programme, courses=courses, modules=modules)

    return tree_cached(f"programme:{programme_path}", build)


def _module_item(module: ModulePage, record: ModuleProgress | None) -> ModuleItem:
    return ModuleItem(page=module, completed=bool(record and record.completed_at),
                      last_viewed_at=record.last_viewed_at if record else None,
                      completed_at=record.completed_at if record else None)


def outlines_for(*, programmes: list[Page], user, staff: bool) -> dict[int, list[CourseOutline]]:
    """Course outlines with the user's progress and locks, for each programme page id.

    The courses and modules come from the tree cache; the user's progress is one query."""
    trees = [(p, programme_tree(programme_path=p.path)) for p in programmes]
    trees = [(p, tree) for p, tree in trees if tree is not None]
    progress = _progress_by_key(user=user, keys=[m.translation_key for _p, tree in trees
                                                 for m in tree.modules])
    result: dict[int, list[CourseOutline]] = defaultdict(list)
    for programme, tree in trees:
        for course in tree.courses:
            outline = CourseOutline(page=course, modules=[
                _module_item(m, progress.get(m.translation_key))
                for m in tree.modules_of(course)])
            _apply_gating(outline, staff=staff)
            result[programme.pk].append(outline)
    return result


def _apply_gating(outline: CourseOutline, *, staff: bool) -> None:
    """In a gated course a module is locked until every module before it is complete."""
    if not outline.page.gated or staff:
        return
    blocked = False
    for item in outline.modules:
        item.locked = blocked
        if not item.completed:
            blocked = True


# --- Runs ----------------------------------------------------------------------------------


@dataclass
class RunState:
    run: ProgrammeRun
    taken: int
    now: datetime

    @property
    def seats_left(self) -> int:
        return max(self.run.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0

    @property
    def is_open(self) -> bool:
        return self.run.enrolment_is_open(self.now)

    @property
    def not_yet_open(self) -> bool:
        return self.now < self.run.enrolment_opens_at

    @property
    def is_closed(self) -> bool:
        """Enrolment has closed for good (its window is over), whatever the seats."""
        return self.now >= self.run.enrolment_closes_at

    @property
    def has_ended(self) -> bool:
        """The run itself is over (its last day, in Korea, has passed)."""
        return timezone.localdate(self.now) > self.run.ends_on


def runs_for(*, programme_keys, now: datetime | None = None) -> list[RunState]:
    """Runs of the programmes with the seats taken (applied, enrolled or completed)."""
    now = now or timezone.now()
    runs = (ProgrammeRun.objects.filter(programme__translation_key__in=programme_keys)
            .annotate(taken=Count("enrolments",
                                  filter=Q(enrolments__status__in=ACTIVE_STATUSES)))
            .select_related("programme")
            .order_by("-year", "-number"))
    return [RunState(run=run, taken=run.taken, now=now) for run in runs]


# --- Who may enrol -------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


REFUSALS = {
    "not_open": _("Enrolment for this run has not opened yet."),
    "closed": _("Enrolment for this run has closed."),
    "full": _("This run is full."),
    "already_in_run": _("You are already in this run."),
    "already_in_programme": _("You are already in another run of this programme."),
}


def _refuse(code: str) -> Refusal:
    return Refusal(code, REFUSALS[code])


def enrolment_refusal(*, state, enrolments, run: ProgrammeRun) -> Refusal | None:
    """Why a learner with these enrolments could not enrol in this run now (None: they can).

    ``state`` is a ``selectors.RunState`` (run, seats taken, now); ``enrolments`` are the
    learner's enrolments in runs of the same programme. The most specific reason wins: being
    in this very run, then the run's window (a past run reads "closed", not "you are in
    another run"), then being in another run, then the seats.
    """
    active = [e for e in enrolments if e.status in ACTIVE_STATUSES]
    if any(e.run_id == run.pk for e in active):
        return _refuse("already_in_run")
    if state.now < run.enrolment_opens_at:
        return _refuse("not_open")
    if state.now >= run.enrolment_closes_at:
        return _refuse("closed")
    if active:
        return _refuse("already_in_programme")
    if state.is_full:
        return _refuse("full")
    return None


# --- Pages ---------------------------------------------------------------------------------


@dataclass
class ProgrammeCard:
    page: ProgrammePage
    runs: list[RunState]

    @property
    def open_run(self) -> RunState | None:
        return next((r for r in self.runs if r.is_open), None)

    @property
    def next_run(self) -> RunState | None:
        upcoming = [r for r in self.runs if r.not_yet_open]
        return min(upcoming, key=lambda r: r.run.enrolment_opens_at) if upcoming else None

    @property
    def years(self) -> list[int]:
        return sorted({r.run.year for r in self.runs})


@dataclass
class SearchHit:
    page: Page
    kind: str


@dataclass
class CatalogueListing:
    query: str
    status: str
    year: int | None
    cards: list[ProgrammeCard]
    hits: list[SearchHit]
    years: list[int]


STATUS_FILTERS = ("all", "open", "upcoming")


def catalogue_listing(*, catalogue: CataloguePage, params) -> CatalogueListing:
    """Programmes under a catalogue, filtered by enrolment status and year, and search hits."""
    query = (params.get("q") or "").strip()[:100]
    status = params.get("status") if params.get("status") in STATUS_FILTERS else "all"
    try:
        year = int(params.get("year") or 0) or None
    except ValueError:
        year = None

    programmes = list(ProgrammePage.objects.live().child_of(catalogue).order_by("path"))
    runs = runs_for(programme_keys=[p.translation_key for p in programmes])
    runs_by_key = defaultdict(list)
    for state in runs:
        runs_by_key[state.run.programme.translation_key].append(state)
    all_years = sorted({r.run.year for r in runs}, reverse=True)
    # Both filters ask about the same run: "open in 2023" is a 2023 run that is open, not a
    # programme with some 2023 run and some other open run. With a year, a card shows (and
    # is judged by) that year's runs only.
    cards = [ProgrammeCard(page=p, runs=[r for r in runs_by_key[p.translation_key]
                                         if not year or r.run.year == year])
             for p in programmes]
    if year:
        cards = [c for c in cards if c.runs]
    if status == "open":
        cards = [c for c in cards if c.open_run]
    elif status == "upcoming":
        cards = [c for c in cards if c.next_run]

    hits: list[SearchHit] = []
    if query:
        searchable = (Page.objects.live().descendant_of(catalogue)
                      .type(ProgrammePage, CoursePage, ModulePage).specific())
        kinds = {ProgrammePage: "programme", CoursePage: "course", ModulePage: "module"}
        # Titles that start with the words come first; then full-text matches in summaries
        # and bodies, where any word may match ("or") since Korean words carry particles.
        found: dict[int, Page] = {}
        for results in (searchable.autocomplete(query)[:30],
                        searchable.search(query, operator="or")[:30]):
            for page in results:
                found.setdefault(page.pk, page)
        hits = [SearchHit(page=page, kind=kinds.get(type(page), "page"))
                for page in list(found.values())[:30]]
    return CatalogueListing(query=query, status=status, year=year, cards=cards, hits=hits,
                            years=all_years)


@dataclass
class RunAction:
    """What the enrol area shows for one run: the state and whether the button works."""

    state: RunState
    enrolment: Enrolment | None
    can_enrol: bool
    reason: str


class _ProgressTotals:
    """Modules done and in total over ``self.courses`` (a list of ``CourseOutline``)."""

    courses: list

    @property
    def total(self) -> int:
        return sum(c.total for c in self.courses)

    @property
    def completed(self) -> int:
        return sum(c.completed for c in self.courses)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass
class ProgrammeOverview(_ProgressTotals):
    courses: list[CourseOutline]
    runs: list[RunAction]
    enrolment: Enrolment | None
    can_learn: bool
    continue_module: ModuleItem | None



def _first_open(items) -> ModuleItem | None:
    return next((m for m in items if not m.completed and not m.locked), None)


def _continue_from(courses: list[CourseOutline]) -> ModuleItem | None:
    """The module to resume, in the course the learner worked in last (the latest visit or
    completion): the module of that activity if unfinished (and open to the learner: one may
    look at a locked module), else the next open, unfinished module of that course (after it,
    then before it); only when that course is done, the next course's. Without any activity,
    the first open, unfinished module of the programme."""
    active = [(c, m) for c in courses for m in c.modules if m.last_activity_at]
    if not active:
        return _first_open(m for c in courses for m in c.modules)
    course, last = max(active, key=lambda pair: pair[1].last_activity_at)
    if not last.completed and not last.locked:
        return last
    at = course.modules.index(last)
    found = _first_open(course.modules[at + 1:] + course.modules[:at])
    if found:
        return found
    here = courses.index(course)
    return _first_open(m for c in courses[here + 1:] + courses[:here] for m in c.modules)


def programme_overview(*, programme: ProgrammePage, user) -> ProgrammeOverview:
    staff = user_is_course_staff(user=user)
    courses = outlines_for(programmes=[programme], user=user, staff=staff).get(programme.pk, [])
    enrolments = learner_enrolments(user=user, programme_keys=[programme.translation_key])
    by_run = {e.run_id: e for e in enrolments}
    actions = []
    for state in runs_for(programme_keys=[programme.translation_key]):
        enrolment = by_run.get(state.run.pk)
        refusal = (enrolment_refusal(state=state, enrolments=enrolments, run=state.run)
                   if user.is_authenticated else None)
        actions.append(RunAction(state=state, enrolment=enrolment,
                                 can_enrol=user.is_authenticated and refusal is None,
                                 reason=str(refusal.message) if refusal else ""))
    learning = _learning_enrolment(enrolments)
    active = next((e for e in enrolments if e.status in ACTIVE_STATUSES), None)
    return ProgrammeOverview(
        courses=courses,
        runs=actions,
        enrolment=active,
        can_learn=staff or learning is not None,
        continue_module=_continue_from(courses) if learning else None,
    )


@dataclass
class CourseOverview:
    outline: CourseOutline | None
    can_learn: bool
    programme: Page | None = None


def course_overview(*, course: CoursePage, user) -> CourseOverview:
    tree = programme_tree(programme_path=course.path[: len(course.path) - Page.steplen])
    programme = tree.programme if tree else course.get_parent()
    staff = user_is_course_staff(user=user)
    outlines = outlines_for(programmes=[programme], user=user, staff=staff).get(programme.pk, [])
    outline = next((o for o in outlines if o.page.pk == course.pk), None)
    learning = _learning_enrolment(
        learner_enrolments(user=user, programme_keys=[programme.translation_key]))
    return CourseOverview(outline=outline, can_learn=staff or learning is not None,
                          programme=programme)


@dataclass
class ModuleView:
    course: CoursePage
    programme: Page
    outline: CourseOutline
    item: ModuleItem | None
    previous: ModuleItem | None
    next: ModuleItem | None
    can_learn: bool
    enrolment: Enrolment | None
    awaiting_approval: bool = False

    @property
    def position(self) -> int:
        """1-based place of the module in its course (0 when it is not in the outline)."""
        return next((i for i, m in enumerate(self.outline.modules, start=1)
                     if m is self.item), 0)

    @property
    def locked(self) -> bool:
        return bool(self.item and self.item.locked)

    @property
    def completed(self) -> bool:
        return bool(self.item and self.item.completed)

    @property
    def unlocks_it(self) -> ModuleItem | None:
        """For a locked module, the module to do next to open it: the first one before it
        that is open to the learner and not complete (the previous module may be locked too)."""
        if not self.locked:
            return None
        before = self.outline.modules[: self.position - 1]
        return next((m for m in before if not m.completed and not m.locked), None)


def module_view(*, module: ModulePage, user) -> ModuleView:
    """Everything a module page shows: the course outline, neighbours, lock and progress.

    The course, programme and modules come from the tree cache; the user's progress and
    enrolments are a query each (and their roles one, shared with the page's header)."""
    course_path = module.path[: len(module.path) - Page.steplen]
    tree = programme_tree(programme_path=course_path[: len(course_path) - Page.steplen])
    course = next((c for c in tree.courses if c.path == course_path), None) if tree else None
    if course is not None:
        programme, modules = tree.programme, tree.modules_of(course)
    else:  # a live module of a course that is not live (Wagtail serves it): read it all
        course = CoursePage.objects.get(path=course_path)
        programme = Page.objects.get(path=course_path[: len(course_path) - Page.steplen])
        modules = list(course_modules(course=course).only(*_OUTLINE_MODULE_FIELDS))
    module._cached_parent_obj = course  # for module.get_parent() after this, e.g. the lab path
    staff = user_is_course_staff(user=user)
    progress = _progress_by_key(user=user, keys=[m.translation_key for m in modules])
    outline = CourseOutline(page=course, modules=[
        _module_item(m, progress.get(m.translation_key)) for m in modules])
    _apply_gating(outline, staff=staff)
    index = next((i for i, m in enumerate(outline.modules) if m.page.pk == module.pk), None)
    item = outline.modules[index] if index is not None else None
    previous = outline.modules[index - 1] if index else None
    following = (outline.modules[index + 1]
                 if index is not None and index + 1 < len(outline.modules) else None)
    enrolments = learner_enrolments(user=user, programme_keys=[programme.translation_key])
    learning = _learning_enrolment(enrolments)
    return ModuleView(course=course, programme=programme, outline=outline, item=item,
                      previous=previous, next=following, can_learn=staff or learning is not None,
                      enrolment=learning,
                      awaiting_approval=any(e.status == EnrolmentStatus.APPLIED
                                            for e in enrolments))


# --- The learner's dashboard ---------------------------------------------------------------


@dataclass
class DashboardProgramme(_ProgressTotals):
    page: Page
    enrolment: Enrolment
    courses: list[CourseOutline]
    continue_module: ModuleItem | None



def live_programmes_in_language() -> dict:
    """The live programme pages in the active language, by translation key (tree cache)."""
    return tree_cached(f"programmes:{get_language()}", lambda: {
        p.translation_key: p for p in ProgrammePage.objects.live().filter(
            locale=Locale.get_active())})


def learner_dashboard(*, user) -> list[DashboardProgramme]:
    """The programmes a learner is in (any status but dropped), in the active language."""
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return []
    enrolments = list(Enrolment.objects.filter(learner=user, status__in=ACTIVE_STATUSES)
                      .select_related("run__programme").order_by("-applied_at"))
    if not enrolments:
        return []
    localized = live_programmes_in_language()
    pages = {e.run.programme.translation_key:
             localized.get(e.run.programme.translation_key, e.run.programme) for e in enrolments}
    outlines = outlines_for(programmes=sorted(pages.values(), key=lambda p: p.path), user=user,
                            staff=False)
    seen = set()
    result = []
    for enrolment in enrolments:
        key = enrolment.run.programme.translation_key
        if key in seen:
            continue
        seen.add(key)
        page = pages[key]
        courses = outlines.get(page.pk, [])
        learning = enrolment.status in LEARNING_STATUSES
        result.append(DashboardProgramme(
            page=page, enrolment=enrolment, courses=courses,
            continue_module=_continue_from(courses) if learning else None,
        ))
    return result


def enrolments_visible_to(*, user) -> QuerySet[Enrolment]:
    """Enrolments a member of staff may list: all for programme staff and admins; for an
    instructor only those in runs of the programmes they teach in; none for anyone else."""
    if user.is_superuser or Role.PROGRAMME_STAFF in user_roles(user=user):
        return Enrolment.objects.all()
    if Role.INSTRUCTOR not in user_roles(user=user):
        return Enrolment.objects.none()
    course_paths = CoursePage.objects.filter(instructors__user=user).values_list("path",
                                                                                flat=True)
    programme_keys = ProgrammePage.objects.filter(
        path__in=[path[: len(path) - Page.steplen] for path in course_paths],
    ).values_list("translation_key", flat=True)
    return Enrolment.objects.filter(run__programme__translation_key__in=list(programme_keys))


def user_may_use_notebooks(*, user) -> bool:
    """May the user have a notebook server now: enrolled (or completed) in a run that has not
    ended, or course staff (to prepare and check assignments)."""
    if not user.is_authenticated:
        return False
    if user_is_course_staff(user=user):
        return True
    return Enrolment.objects.filter(
        learner=user, status__in=LEARNING_STATUSES,
        run__ends_on__gte=timezone.localdate()).exists()
