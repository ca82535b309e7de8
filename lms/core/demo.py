"""Demo data: the accounts every role needs and the bilingual home pages.

Idempotent: what exists is left as it is, so running the seed twice changes nothing.
"""

import logging
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from wagtail.models import Locale, Page, Site

from courses.demo import demo_programme_seed
from courses.models import CataloguePage
from courses.permissions import catalogue_permissions_sync, course_permissions_sync, workflow_ensure
from grading.demo import demo_assignments_seed
from lms.accounts.models import Role, User
from lms.accounts.services import user_create
from lms.reports.synthetic import demo_history_seed

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "aimd-demo-2026"  # noqa: S105 - printed for the demo on purpose


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    roles: tuple[Role, ...]
    is_staff: bool = False
    is_superuser: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("learner@aimd.example", "김하늘", (Role.LEARNER,)),
    DemoAccount("instructor@aimd.example", "이도윤", (Role.INSTRUCTOR,)),
    DemoAccount("instructor2@aimd.example", "정유진", (Role.INSTRUCTOR,)),
    DemoAccount("staff@aimd.example", "박서연", (Role.PROGRAMME_STAFF,), is_staff=True),
    DemoAccount("ministry@aimd.example", "최민준", (Role.MINISTRY_OFFICER,)),
    DemoAccount("admin@aimd.example", "관리자", (), is_staff=True, is_superuser=True),
)

HOME = {
    "ko": {
        "title": "산업 AI 마이크로디그리",
        "intro": (
            "<p>AI를 전공하지 않은 대학생, 구직자, 재직자를 위한 짧고 실전적인 산업 AI "
            "교육입니다. 제조 데이터로 파이썬을 익히고, 예지 보전과 불량 검사에 머신러닝을 "
            "적용해 보며, 자신만의 JupyterLab에서 과제를 풀고 즉시 채점 결과를 받습니다. "
            "모든 과정을 마치면 검증 가능한 이수증이 발급됩니다.</p>"
        ),
    },
    "en": {
        "title": "Industrial AI Micro-degree",
        "intro": (
            "<p>Short, practical training in industrial AI for college students, job seekers "
            "and employed people who did not major in AI. Learn Python on manufacturing data, "
            "apply machine learning to predictive maintenance and defect inspection, solve "
            "assignments in your own JupyterLab with instant autograded feedback, and earn a "
            "verifiable certificate when you complete the programme.</p>"
        ),
    },
}


def demo_accounts_seed() -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts with verified email addresses; (account, created) pairs."""
    results = []
    encoded = None
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        created = user is None
        if created:
            # One Argon2 hash (0.3 s each) for the one published password of every account.
            encoded = encoded or make_password(DEMO_PASSWORD)
            user = user_create(
                email=account.email,
                password=None,
                full_name=account.full_name,
                roles=account.roles,
                is_staff=account.is_staff,
                is_superuser=account.is_superuser,
            )
            user.password = encoded
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        results.append((account, created))
    return results


def demo_home_seed() -> CataloguePage:
    """Make a catalogue page the site's home in Korean, with its English translation."""
    ko, _ = Locale.objects.get_or_create(language_code="ko")
    en, _ = Locale.objects.get_or_create(language_code="en")
    site = Site.objects.select_related("root_page").get(is_default_site=True)
    home = CataloguePage.objects.filter(locale=ko).first()
    if home is None:
        root = Page.get_first_root_node()
        home = CataloguePage(locale=ko, slug="home-ko", **HOME["ko"])
        root.add_child(instance=home)
        home.save_revision().publish()
        old_root = site.root_page
        site.root_page = home
        site.save()
        if old_root.specific_class is Page and old_root.depth == 2:
            old_root.delete()  # Wagtail's "Welcome" placeholder
        home.refresh_from_db()
    if not CataloguePage.objects.filter(locale=en, translation_key=home.translation_key).exists():
        translation = home.copy_for_translation(en)
        translation.title = HOME["en"]["title"]
        translation.intro = HOME["en"]["intro"]
        translation.slug = "home-en"
        translation.save_revision().publish()
    return home


@transaction.atomic
def demo_seed(*, release_assignments: bool = True, release_on_worker: bool = False,
              history: bool = True) -> list[tuple[DemoAccount, bool]]:
    """Seed everything the demo shows (``release_assignments``, ``release_on_worker``: see
    ``grading.demo.demo_assignments_seed``; ``history``: the 2023-2025 runs' learners, see
    ``lms.reports.demo``)."""
    home = demo_home_seed()
    accounts = demo_accounts_seed()
    instructors = [User.objects.get(email=a.email) for a, _ in accounts
                   if Role.INSTRUCTOR in a.roles]
    programme = demo_programme_seed(home_ko=home, instructors=instructors)
    # Programme staff may publish anything in the catalogue; instructors edit only their
    # courses, and their changes go through the review workflow.
    catalogue_permissions_sync()
    for course in programme.courses:
        course_permissions_sync(course=course)
    workflow_ensure()
    # The notebook assignments the module pages name: uploaded and released (in the sandbox)
    # only while they are missing, changed or unreleased.
    demo_assignments_seed(release=release_assignments, on_worker=release_on_worker)
    # The closed runs' learners and certificates, so that the ministry dashboard has years
    # to compare with their targets (synthetic people, and the dashboard says so).
    if history:
        demo_history_seed()
    return accounts
