"""Reads of the LTI tool: placements, who may manage them, what deep linking offers, the state
of the scores sent back."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from lti_tool.models import LtiDeployment, LtiMembership, LtiUser
from wagtail.models import Page

from courses.models import CoursePage, ModulePage, ProgrammePage
from grading.models import Assignment, Submission
from lms.lti.models import DeploymentScope, Placement, ScorePost

RESOURCE_ID_PREFIX = "aimd-assignment-"


def assignment_resource_id(assignment: Assignment) -> str:
    """The AGS resourceId of an assignment's line item (stable: the assignment's key)."""
    return f"{RESOURCE_ID_PREFIX}{assignment.key}"


def programme_of(page: Page) -> ProgrammePage | None:
    """The programme a page belongs to (itself when it is one)."""
    paths = [page.path[:i] for i in range(Page.steplen, len(page.path) + 1, Page.steplen)]
    return ProgrammePage.objects.filter(path__in=paths).first()


def deployment_programme_keys(deployment: LtiDeployment) -> set:
    """The translation keys of the programmes a deployment may open (none without a scope):
    a programme chosen in one language is open in every language."""
    return set(ProgrammePage.objects.filter(lti_scopes__deployment=deployment)
               .values_list("translation_key", flat=True))


def deployment_may_open(*, deployment: LtiDeployment, page: Page) -> bool:
    """May the deployment place ``page`` (and enrol its learners in the page's programme)?
    Only pages of a programme in its scope: never a page outside every programme."""
    programme = programme_of(page)
    return (programme is not None
            and DeploymentScope.objects.filter(
                deployment=deployment,
                programmes__translation_key=programme.translation_key).exists())


def placement_target(*, page_id: str | int | None, assignment_key: str | None
                     ) -> tuple[Page, Assignment | None] | None:
    """The live page (and the assignment) a launch's custom parameters name, or None."""
    assignment = None
    if assignment_key:
        assignment = (Assignment.objects.select_related("module")
                      .filter(key=str(assignment_key)).first())
        if assignment is None:
            return None
        if not page_id:
            return assignment.module.specific, assignment
    try:
        page = Page.objects.live().get(pk=int(page_id)).specific
    except (TypeError, ValueError, Page.DoesNotExist):
        return None
    if assignment is None and isinstance(page, ModulePage):
        assignment = Assignment.objects.filter(module=page).order_by("pk").first()
    return page, assignment


def manages_placement(*, user, placement: Placement) -> bool:
    """Is ``user`` an instructor (or administrator) of the platform course the placement sits
    in? The role holds for that course only: nothing is granted elsewhere on the site."""
    if not user.is_authenticated:
        return False
    return LtiMembership.objects.filter(
        Q(is_instructor=True) | Q(is_administrator=True),
        context_id=placement.resource_link.context_id, user__auth_user=user,
        is_active=True).exists()


def score_targets(*, learner_id: int, assignment_id: int) -> list[tuple[int, int]]:
    """(context id, LTI user id) of every platform course where the learner's grade on the
    assignment goes back: a graded placement of it in a course the learner was launched in."""
    return list(LtiMembership.objects.filter(
        user__auth_user_id=learner_id, is_learner=True,
        context__resource_links__placement__assignment_id=assignment_id,
        context__can_publish_scores=True,
    ).values_list("context_id", "user_id").distinct())


@dataclass
class RosterRow:
    name: str
    email: str
    roles: list[str]
    started: bool
    score_post: ScorePost | None


def placement_score_posts(*, placement: Placement) -> list[ScorePost]:
    if placement.assignment_id is None:
        return []
    return list(ScorePost.objects.filter(
        assignment_id=placement.assignment_id,
        line_item__context_id=placement.resource_link.context_id,
    ).select_related("lti_user").order_by("lti_user__name", "lti_user__sub"))


def roster_rows(*, placement: Placement, members: list[dict]) -> list[RosterRow]:
    """The platform's roster (NRPS members) with who has started the assignment here."""
    subs = [m.get("user_id", "") for m in members]
    users = {u.sub: u for u in LtiUser.objects.filter(
        registration=placement.resource_link.context.deployment.registration, sub__in=subs)}
    started = set()
    if placement.assignment_id:
        started = set(Submission.objects.filter(
            assignment_id=placement.assignment_id,
            learner_id__in=[u.auth_user_id for u in users.values() if u.auth_user_id],
        ).values_list("learner_id", flat=True))
    posts = {p.lti_user.sub: p for p in placement_score_posts(placement=placement)}
    rows = []
    for member in members:
        sub = member.get("user_id", "")
        user = users.get(sub)
        rows.append(RosterRow(
            name=member.get("name") or " ".join(
                filter(None, (member.get("given_name"), member.get("family_name")))) or sub,
            email=member.get("email", ""), roles=[r.rsplit("#", 1)[-1]
                                                   for r in member.get("roles", [])],
            started=bool(user and user.auth_user_id in started), score_post=posts.get(sub)))
    return rows


@dataclass
class DeepLinkChoice:
    kind: str
    page: Page
    assignment: Assignment | None
    depth: int


def deep_link_choices(*, deployment: LtiDeployment) -> list[DeepLinkChoice]:
    """What an instructor may place in their platform course: each live programme of the
    deployment's scope, its courses and modules, and each module's assignments, in tree
    order."""
    roots = list(ProgrammePage.objects.live()
                 .filter(translation_key__in=deployment_programme_keys(deployment))
                 .values_list("path", flat=True))
    if not roots:
        return []
    under = Q()
    for path in roots:
        under |= Q(path__startswith=path)
    pages = list(Page.objects.live().type(ProgrammePage, CoursePage, ModulePage).filter(under)
                 .order_by("path").specific())
    assignments: dict[int, list[Assignment]] = {}
    for item in Assignment.objects.filter(module_id__in=[p.pk for p in pages]).order_by("pk"):
        assignments.setdefault(item.module_id, []).append(item)
    choices = []
    base = None
    for page in pages:
        kind = ("programme" if isinstance(page, ProgrammePage)
                else "course" if isinstance(page, CoursePage) else "module")
        base = page.depth if kind == "programme" else base or page.depth
        choices.append(DeepLinkChoice(kind=kind, page=page, assignment=None,
                                      depth=page.depth - base))
        for item in assignments.get(page.pk, []):
            choices.append(DeepLinkChoice(kind="assignment", page=page, assignment=item,
                                          depth=page.depth - base + 1))
    return choices
