"""Writes of the LTI tool: what an accepted launch does here (the local account, the role in
that course, the placement), account linking by email, line items and the scores sent back.

The protocol itself (checks, cookies, AGS/NRPS calls) is ``lms.lti.protocol``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from lti_tool.lti_core.constants import ContextRole
from lti_tool.lti_core.utils import normalize_role
from lti_tool.models import Key, LtiContext, LtiLaunch, LtiLineItem, LtiUser

from courses.models import EnrolmentStatus, ProgrammeRun
from courses.selectors import learner_enrolments
from courses.services.enrolments import EnrolmentRefused, enrolment_approve, enrolment_create
from grading.models import Assignment, Submission
from grading.selectors.grades import counted_grade
from lms.accounts.models import Role, User
from lms.accounts.selectors import user_roles
from lms.accounts.services import user_create
from lms.lti import protocol
from lms.lti.models import Placement, ScorePost, ScorePostStatus
from lms.lti.selectors import (
    assignment_resource_id,
    deployment_may_open,
    placement_target,
    programme_of,
    score_targets,
)

logger = logging.getLogger(__name__)

LINK_SALT = "lms.lti.account-link"
LINK_MAX_AGE = 60 * 60 * 24  # a day to click the link in the email
INSTRUCTOR_ROLES = {ContextRole.INSTRUCTOR, ContextRole.ADMINISTRATOR,
                    ContextRole.CONTENT_DEVELOPER}


class LinkRefused(Exception):
    """An account-link address that is forged, expired or already used."""


@dataclass
class LaunchOutcome:
    """What the launch view does next: sign ``user`` in and go to ``placement``'s page (or
    the instructor's page), or show that a link email was sent (``link_sent_to``)."""

    user: User | None
    lti_user: LtiUser
    placement: Placement | None = None
    instructor: bool = False
    link_sent_to: str = ""


def _roles(launch: LtiLaunch) -> set[str]:
    return {normalize_role(role) for role in launch.roles_claim or []}


def launch_is_instructor(launch: LtiLaunch) -> bool:
    return bool(_roles(launch) & INSTRUCTOR_ROLES)


def _masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:2]}***@{domain}"


def _synthetic_email(lti_user: LtiUser) -> str:
    digest = hashlib.sha256(f"{lti_user.registration.issuer}|{lti_user.sub}".encode())
    return f"lti-{digest.hexdigest()[:24]}@lti.invalid"


def account_link_token(*, lti_user: LtiUser, user: User) -> str:
    return signing.dumps({"lti_user": lti_user.pk, "user": user.pk, "email": user.email},
                         salt=LINK_SALT)


def account_link_request(*, lti_user: LtiUser, user: User, link_url_for) -> None:
    """Email ``user`` an address that links the platform identity to their account (once)."""
    url = link_url_for(account_link_token(lti_user=lti_user, user=user))
    platform = lti_user.registration.name
    send_mail(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + gettext("Link your account"),
        message=gettext(
            "Someone opened a course of this site from %(platform)s with your email address.\n"
            "If it was you, open this address within a day to link that sign-in to your "
            "account:\n\n%(url)s\n\nIf it was not you, ignore this email.")
        % {"platform": platform, "url": url},
        from_email=None, recipient_list=[user.email])
    logger.info("lti: link email sent for lti user %s to user %s", lti_user.pk, user.pk)


@transaction.atomic
def account_link_confirm(*, token: str) -> User:
    """Link the platform identity in ``token`` to the account it names. Raises LinkRefused
    when the token is bad or old, or the identity is already linked (a link works once)."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature as exc:
        raise LinkRefused(gettext("This link is not valid or has expired.")) from exc
    lti_user = LtiUser.objects.select_for_update().filter(pk=data.get("lti_user")).first()
    user = User.objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if lti_user is None or user is None:
        raise LinkRefused(gettext("This link is not valid or has expired."))
    if lti_user.auth_user_id is not None:
        raise LinkRefused(gettext("This sign-in is already linked to an account."))
    if _privileged(user):  # a role given since the email was sent
        raise LinkRefused(gettext("An account with staff rights cannot be signed in through "
                                  "a university's LMS. Sign in on this site directly."))
    lti_user.auth_user = user
    lti_user.save(update_fields=["auth_user", "datetime_modified"])
    logger.info("lti: lti user %s linked to user %s by email", lti_user.pk, user.pk)
    return user


def _privileged(user: User) -> bool:
    """An account with rights beyond its own learning (staff, superuser, or a role other than
    learner): never signed in through a platform, whose word on the email is all there is."""
    return user.is_staff or user.is_superuser or bool(user_roles(user=user) - {Role.LEARNER})


def _account(*, lti_user: LtiUser, link_url_for) -> tuple[User | None, str]:
    """The local account of the platform identity: the linked one; or a link email when an
    account has the launch's email address (the platform's word is not proof of owning it);
    or a new account with no password (the platform signs the person in)."""
    if lti_user.auth_user_id is not None:
        linked = lti_user.auth_user
        if _privileged(linked):  # given rights since it was linked: never on a platform's word
            logger.warning("lti: lti user %s is linked to privileged user %s: refused",
                           lti_user.pk, linked.pk)
            raise protocol.LaunchRefused("privileged_account", f"user {linked.pk}")
        return linked, ""
    email = (lti_user.email or "").strip()
    existing = User.objects.filter(email__iexact=email).first() if email else None
    if existing is not None and _privileged(existing):
        logger.warning("lti: lti user %s asserted the email of privileged user %s: refused",
                       lti_user.pk, existing.pk)
        raise protocol.LaunchRefused("privileged_account", f"user {existing.pk}")
    if existing is not None:
        account_link_request(lti_user=lti_user, user=existing, link_url_for=link_url_for)
        return None, existing.email
    name = lti_user.name or " ".join(filter(None, (lti_user.given_name,
                                                   lti_user.family_name)))
    user = user_create(email=email or _synthetic_email(lti_user), password=None,
                       full_name=name[:150], roles=(Role.LEARNER,))
    lti_user.auth_user = user
    lti_user.save(update_fields=["auth_user", "datetime_modified"])
    logger.info("lti: new account %s for lti user %s", user.pk, lti_user.pk)
    return user, ""


def _placement(*, launch: LtiLaunch) -> Placement | None:
    """The placement of the launch's resource link, made or updated from its custom
    parameters (``lms_page``, ``lms_assignment``: set by deep linking or by hand)."""
    custom = protocol.custom_claim(launch)
    resource_link = launch.resource_link
    target = placement_target(page_id=custom.get("lms_page"),
                              assignment_key=custom.get("lms_assignment"))
    existing = Placement.objects.filter(resource_link=resource_link).first()
    if target is None:
        if existing is not None:
            _in_scope(launch=launch, page=existing.page)
        return existing
    page, assignment = target
    _in_scope(launch=launch, page=page)
    placement, _created = Placement.objects.update_or_create(
        resource_link=resource_link,
        defaults={"page": page, "assignment": assignment})
    return placement


def _in_scope(*, launch: LtiLaunch, page) -> None:
    """Refuse a launch into a page outside the programmes of the launch's deployment: a
    platform reaches only what the site's administrators gave its deployment, whatever its
    custom parameters (anyone who edits a link of the platform's course writes those) or a
    placement made before its scope was narrowed."""
    if not deployment_may_open(deployment=launch.deployment, page=page):
        raise protocol.LaunchRefused(
            "outside_scope", f"page {page.pk} for deployment {launch.deployment.pk}")


def _open_run(placement: Placement) -> ProgrammeRun | None:
    if placement.run_id:
        return placement.run
    programme = programme_of(placement.page)
    if programme is None:
        return None
    now = timezone.now()
    return (ProgrammeRun.objects.filter(programme__translation_key=programme.translation_key,
                                        enrolment_opens_at__lte=now,
                                        enrolment_closes_at__gt=now)
            .order_by("-starts_on").first())


def _learner_enrol(*, user: User, placement: Placement) -> None:
    """The platform says the person learns in this course: they learn in the programme here
    (an enrolment in the placement's run, approved: the university enrols its students)."""
    programme = programme_of(placement.page)
    if programme is None:
        return
    enrolments = learner_enrolments(user=user, programme_keys=[programme.translation_key])
    if any(e.gives_access for e in enrolments):
        return
    run = _open_run(placement)
    if run is None:
        raise protocol.LaunchRefused("no_open_run", f"programme {programme.pk}")
    try:
        enrolment = enrolment_create(learner=user, run=run)
    except EnrolmentRefused as exc:
        raise protocol.LaunchRefused("enrolment_refused", exc.code) from exc
    if enrolment.status == EnrolmentStatus.APPLIED:
        enrolment_approve(enrolment=enrolment)


@transaction.atomic
def launch_accept(*, launch: LtiLaunch, link_url_for) -> LaunchOutcome:
    """Do what a validated resource launch means here: find or make the person's account
    (or send the link email), map the role of the launch for that course only (a learner is
    enrolled; an instructor manages the placement, nothing more), record the placement and,
    for a graded one, have its line item made on the platform."""
    lti_user = launch.user
    user, link_sent_to = _account(lti_user=lti_user, link_url_for=link_url_for)
    placement = _placement(launch=launch)
    instructor = launch_is_instructor(launch)
    outcome = LaunchOutcome(user=user, lti_user=lti_user, placement=placement,
                            instructor=instructor, link_sent_to=link_sent_to)
    if user is None:
        return outcome
    if placement is None:
        if instructor:
            return outcome  # the instructor page says how to choose the content
        raise protocol.LaunchRefused("no_placement", launch.resource_link.id_on_platform)
    if not instructor:
        _learner_enrol(user=user, placement=placement)
    if placement.assignment_id and launch.context.lineitems_url:
        line_item_ensure_on_commit(context_id=launch.context.pk,
                                   assignment_id=placement.assignment_id)
    return outcome


def deep_link_accept(*, launch: LtiLaunch, link_url_for) -> LaunchOutcome:
    """A deep-linking request: only an instructor of the platform course may pick content."""
    if not launch_is_instructor(launch):
        raise protocol.LaunchRefused("not_instructor", "deep linking")
    user, link_sent_to = _account(lti_user=launch.user, link_url_for=link_url_for)
    return LaunchOutcome(user=user, lti_user=launch.user, instructor=True,
                         link_sent_to=link_sent_to)


# --- Line items and scores (AGS) ------------------------------------------------------------


def line_item_ensure_on_commit(*, context_id: int, assignment_id: int) -> None:
    transaction.on_commit(lambda: line_item_ensure_task.delay(context_id, assignment_id))


def line_item_ensure(*, context_id: int, assignment_id: int) -> LtiLineItem:
    """The line item of the assignment in the platform course: the one recorded here, else
    the platform's with the assignment's resource id, else a new one. The context row is
    locked meanwhile, so two launches or workers never make two."""
    with transaction.atomic():
        context = (LtiContext.objects.select_for_update(of=("self",))
                   .select_related("deployment__registration").get(pk=context_id))
        assignment = Assignment.objects.get(pk=assignment_id)
        resource_id = assignment_resource_id(assignment)
        known = LtiLineItem.objects.filter(context=context, resource_id=resource_id).first()
        if known is not None:
            return known
        found = protocol.line_item_find_or_create(
            context=context, resource_id=resource_id, label=assignment.title,
            maximum_score=float(assignment.max_score or 0) or 1.0)
        item, _created = LtiLineItem.objects.update_or_create(
            url=found.url, defaults={"context": context, "label": found.label[:255],
                                     "maximum_score": found.maximum_score,
                                     "resource_id": resource_id})
        logger.info("lti: line item %s for assignment %s in context %s", item.url,
                    assignment.pk, context.pk)
        return item


def scores_publish_on_commit(*, learner_id: int, assignment_id: int) -> None:
    """Called by grading whenever a grade of the learner on the assignment is stored or
    changed: once that commits, a task sends the counted score to every platform course where
    the learner took the assignment through LTI (nothing when there is none)."""
    transaction.on_commit(lambda: _scores_enqueue(learner_id=learner_id,
                                                  assignment_id=assignment_id))


def _scores_enqueue(*, learner_id: int, assignment_id: int, force: bool = False) -> int:
    targets = score_targets(learner_id=learner_id, assignment_id=assignment_id)
    for context_id, lti_user_id in targets:
        score_publish_task.delay(context_id, lti_user_id, assignment_id, force)
    return len(targets)


@dataclass
class _Score:
    score: Decimal
    max_score: Decimal
    needs_manual_grade: bool


def _counted(*, learner_id: int, assignment: Assignment) -> _Score | None:
    submissions = list(Submission.objects.filter(assignment=assignment, learner_id=learner_id)
                       .select_related("grade"))
    grade = counted_grade(assignment=assignment, submissions=submissions)
    if grade is None:
        return None
    return _Score(score=grade.score, max_score=grade.max_score or assignment.max_score,
                  needs_manual_grade=grade.needs_manual_grade)


def score_publish(*, context_id: int, lti_user_id: int, assignment_id: int,
                  force: bool = False) -> str:
    """Send the learner's counted score on the assignment to the platform's line item.

    Idempotent: the score last sent is recorded (:class:`ScorePost`); the same score is not
    sent again unless ``force`` (an instructor's resend). The row stays locked while the score
    is sent, so two workers never send at once. Returns "sent", "unchanged" or "no_grade";
    raises PlatformUnavailable (to be retried) or PlatformRefused, recording the failure."""
    item = line_item_ensure(context_id=context_id, assignment_id=assignment_id)
    lti_user = LtiUser.objects.get(pk=lti_user_id)
    assignment = Assignment.objects.get(pk=assignment_id)
    current = _counted(learner_id=lti_user.auth_user_id, assignment=assignment)
    if current is None:
        return "no_grade"
    ScorePost.objects.get_or_create(line_item=item, lti_user=lti_user,
                                    defaults={"assignment": assignment})
    with transaction.atomic():
        post = ScorePost.objects.select_for_update().get(line_item=item, lti_user=lti_user)
        same = (post.status == ScorePostStatus.SENT and post.score == current.score
                and post.max_score == current.max_score
                and post.needs_manual_grade == current.needs_manual_grade)
        if same and not force:
            return "unchanged"
        try:
            protocol.score_put(context=item.context, line_item_url=item.url,
                               user_sub=lti_user.sub, score=float(current.score),
                               maximum=float(current.max_score),
                               timestamp=timezone.now().isoformat(),
                               needs_manual_grade=current.needs_manual_grade)
        except (protocol.PlatformUnavailable, protocol.PlatformRefused) as exc:
            error = exc
        else:
            post.score, post.max_score = current.score, current.max_score
            post.needs_manual_grade = current.needs_manual_grade
            post.status, post.sent_at, post.last_error = ScorePostStatus.SENT, timezone.now(), ""
            post.attempts = F("attempts") + 1
            post.save()
            logger.info("lti: score %s/%s of lti user %s sent to %s", current.score,
                        current.max_score, lti_user.pk, item.url)
            return "sent"
    ScorePost.objects.filter(pk=post.pk).update(status=ScorePostStatus.FAILED,
                                                attempts=F("attempts") + 1,
                                                last_error=str(error)[:2000])
    logger.warning("lti: score of lti user %s to %s failed: %s", lti_user.pk, item.url, error)
    raise error


def scores_resend(*, placement: Placement) -> int:
    """An instructor's resend: every learner's counted score on the placement's assignment,
    sent again even when unchanged. The number of scores queued."""
    if placement.assignment_id is None:
        return 0
    context = placement.resource_link.context
    users = LtiUser.objects.filter(memberships__context=context, memberships__is_learner=True,
                                   auth_user__isnull=False).values_list("pk", flat=True)
    users = list(users)
    transaction.on_commit(lambda: [score_publish_task.delay(
        context.pk, pk, placement.assignment_id, True) for pk in users])
    logger.info("lti: resend of %d scores for placement %s", len(users), placement.pk)
    return len(users)


# --- Tasks (here, beside their services, as grading's are; ``lms.lti.tasks`` names them) ---
# Both are idempotent (a line item is found before it is made; a score already sent is not
# sent again), hence ``acks_late``; only the platform being unreachable or answering 5xx/429
# is retried, with backoff. A platform's refusal (4xx) is recorded on the ScorePost.


@shared_task(name="lms.lti.tasks.line_item_ensure_task", acks_late=True,
             autoretry_for=(protocol.PlatformUnavailable,), retry_backoff=True,
             retry_backoff_max=600, max_retries=8)
def line_item_ensure_task(context_id: int, assignment_id: int) -> str:
    return line_item_ensure(context_id=context_id, assignment_id=assignment_id).url


@shared_task(name="lms.lti.tasks.score_publish_task", acks_late=True,
             autoretry_for=(protocol.PlatformUnavailable,), retry_backoff=True,
             retry_backoff_max=600, max_retries=8)
def score_publish_task(context_id: int, lti_user_id: int, assignment_id: int,
                       force: bool = False) -> str:
    return score_publish(context_id=context_id, lti_user_id=lti_user_id,
                         assignment_id=assignment_id, force=force)


def score_posts_resend(*, posts: list[ScorePost]) -> int:
    """Send the given score records again (the admin's resend)."""
    rows = [(p.line_item.context_id, p.lti_user_id, p.assignment_id) for p in posts]
    transaction.on_commit(lambda: [score_publish_task.delay(*row, True) for row in rows])
    return len(rows)


def key_rotate(*, retire_after_days: int = 7) -> tuple[Key, int]:
    """A new signing key (the newest active key signs; every active key is in the JWKS), and
    the keys replaced more than ``retire_after_days`` ago retired: platforms cache our JWKS,
    so a key is kept published for a while after a newer one starts signing (a key stops
    signing when the next one is made, whatever its own age)."""
    with transaction.atomic():
        key = Key.objects.generate()
        cutoff = timezone.now() - timedelta(days=retire_after_days)
        keys = list(Key.objects.active().order_by("datetime_created", "pk"))
        replaced_long_ago = [older.pk for older, newer in zip(keys, keys[1:], strict=False)
                             if newer.datetime_created < cutoff]
        retired = Key.objects.filter(pk__in=replaced_long_ago).update(is_active=False)
    logger.info("lti: new key %s, %d retired", key, retired)
    return key, retired
