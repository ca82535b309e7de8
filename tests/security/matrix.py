"""The authorization matrix: every URL pattern of the site, what each role gets for GET and,
where the view changes state, for POST.

Expectations are listed per role in the order of ``ROLES``: anonymous, learner (enrolled,
owner of the submission and the certificate), other learner (enrolled in the same run),
instructor of another course, instructor of the course, programme staff, ministry officer,
admin (superuser). ``LOGIN`` is a redirect to the site's login page (also the Wagtail
admin's) and ``DJANGO_ADMIN_LOGIN`` to the Django admin's.

Our own views are listed pattern by pattern; third-party areas (the Wagtail and Django admins,
allauth, the OAuth provider, Wagtail's page serving and documents) by their prefix with a few
representative URLs (``PREFIXES``). A URL pattern that is neither makes
``test_every_url_pattern_is_in_the_matrix`` fail: add it here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

# Every role, in the order the rows list expectations.
ROLES = ("anonymous", "learner", "other_learner", "other_instructor", "instructor",
         "programme_staff", "ministry_officer", "admin")
RIGHT = "def square(x):\n    return x * x"


@dataclass
class Site:
    """Users by role (None: anonymous) and the objects the URLs point at."""

    users: dict
    catalogue: object
    programme: object
    course: object
    other_course: object
    modules: list
    module: object  # the assignment's module
    run: object
    assignment: object
    data_file: object
    submission: object
    certificate: object
    enrolment: object
    other_enrolment: object
    document: object
    signing_public_key: str
    api_tokens: dict = field(default_factory=dict)  # role → raw token


LOGIN = "login"
ADMIN_LOGIN = "admin-login"  # the admin's login address: sign-in page or a 403 (see its entry)
DJANGO_ADMIN_LOGIN = "django-admin-login"
JSON = {"HTTP_ACCEPT": "application/json"}
REFUSALS = {LOGIN, 401, 403, 404, 405}


def row(*values) -> dict:
    """Expectations in the order of ROLES."""
    assert len(values) == len(ROLES), values
    return dict(zip(ROLES, values, strict=True))


def everyone(value) -> dict:
    return row(*[value] * len(ROLES))


def signed_in(value, *, anonymous=LOGIN) -> dict:
    """``anonymous`` for the anonymous visitor, ``value`` for every signed-in role."""
    return row(anonymous, *[value] * (len(ROLES) - 1))


@dataclass(frozen=True)
class Entry:
    """One URL of the matrix. ``route`` is the resolver's pattern with the language prefix
    written ``<lang>/`` (None for a further sample of a third-party area)."""

    route: str | None
    url: Callable[[Site], str]
    get: dict | None
    post: dict | None = None
    data: Callable[[Site], dict] = field(default=lambda site: {})
    headers: dict = field(default_factory=dict)
    # Accepts POST (for the CSRF test) even when the matrix does not check POST per role,
    # and the role whose POST would otherwise succeed.
    accepts_post: bool | None = None
    csrf_role: str = "admin"
    # Refuses a POST without a CSRF token on purpose (token-authenticated machine endpoint).
    csrf_exempt_by_design: bool = False
    # "token": the role's API token in the Authorization header instead of a session.
    auth: str = "session"

    @property
    def takes_post(self) -> bool:
        """Whether some role's POST can change state (a POST row of refusals only proves the
        view is read-only)."""
        if self.accepts_post is not None:
            return self.accepts_post
        return self.post is not None and bool(set(self.post.values()) - REFUSALS)

    def label(self) -> str:
        return self.route or "(sample)"


def ko(name: str, *args) -> str:
    with translation.override("ko"):
        return reverse(name, args=args)


def notebook(site: Site) -> dict:
    from tests.grading.conftest import notebook_with

    return {"notebook": SimpleUploadedFile("squares.ipynb", notebook_with(RIGHT),
                                           content_type="application/x-ipynb+json")}


def profile_data(site: Site) -> dict:
    return {"full_name": "김하늘", "participant_status": "employed", "ai_major": "no",
            "birth_year": "1990", "region": "seoul", "gender": "", "stats_consent": "on"}


def _outcome(site: Site):
    """The learner's outcome at +3 months of the site's certificate (made on first use)."""
    from lms.outcomes.models import Outcome

    outcome, _ = Outcome.objects.get_or_create(certificate=site.certificate, months=3,
                                               defaults={"due_at": site.certificate.issued_at})
    return outcome


def _outcome_link(site: Site) -> str:
    from lms.outcomes.services import outcome_link_token

    return ko("outcomes:answer", outcome_link_token(outcome=_outcome(site)))


# --- Our own views, pattern by pattern -----------------------------------------------------------
OWN = [
    Entry("healthz", lambda s: "/healthz", everyone(200), post=everyone(405)),
    # Operators' metrics: the monitoring token or an allowed network only, never a session
    # (tests/core/test_metrics_access.py).
    Entry("metrics", lambda s: "/metrics", everyone(403), post=everyone(405)),
    Entry("favicon.ico", lambda s: "/favicon.ico", everyone(302), post=everyone(405)),
    Entry("verify/<str:code>/", lambda s: f"/verify/{s.certificate.code}/", everyone(200),
          post=everyone(405)),
    Entry("i18n/setlang/", lambda s: "/i18n/setlang/", everyone(302), post=everyone(302),
          data=lambda s: {"language": "en", "next": "/en/"}),
    # Open Badges: public documents, and the holder's own credential.
    Entry("credentials/issuer.json", lambda s: "/credentials/issuer.json", everyone(200)),
    Entry("credentials/keys/<str:public_key_multibase>.json",
          lambda s: f"/credentials/keys/{s.signing_public_key}.json", everyone(200)),
    Entry("credentials/status/<int:number>.json", lambda s: "/credentials/status/1.json",
          everyone(200), post=everyone(405)),
    Entry("credentials/achievements/<uuid:programme_key>",
          lambda s: f"/credentials/achievements/{s.programme.translation_key}", everyone(302)),
    Entry("credentials/certificates/<str:serial>.json",
          lambda s: f"/credentials/certificates/{s.certificate.serial}.json",
          row(LOGIN, 200, 404, 404, 404, 404, 404, 404)),
    # The reports API: bearer tokens only (each role sends its own token; see test_api_*).
    Entry("api/years/", lambda s: "/api/years/", row(401, 403, 403, 403, 403, 200, 200, 200),
          post=row(401, 403, 403, 403, 403, 405, 405, 405), auth="token"),
    Entry("api/years/<int:year>/", lambda s: f"/api/years/{s.run.year}/",
          row(401, 403, 403, 403, 403, 200, 200, 200), auth="token"),
    Entry("api/targets/", lambda s: "/api/targets/", row(401, 403, 403, 403, 403, 200, 200, 200),
          auth="token"),
    Entry("api/schema/", lambda s: "/api/schema/", everyone(200)),
    # The LTI 1.3 tool (tests/lti): public keys; the login initiation and the launch, which
    # platforms post to cross-site (a signed id_token and the OIDC state are their proof, not
    # a CSRF token; without them: a refusal page); pages of a launched session only; the
    # account-link address (a button; the POST carries the signed token).
    Entry("lti/jwks/", lambda s: "/lti/jwks/", everyone(200), post=everyone(405)),
    Entry("lti/login/", lambda s: "/lti/login/", everyone(400), post=everyone(400),
          csrf_exempt_by_design=True),
    Entry("lti/login/<uuid:registration_uuid>/",
          lambda s: "/lti/login/00000000-0000-4000-8000-000000000000/", everyone(400),
          post=everyone(400), csrf_exempt_by_design=True),
    Entry("lti/launch/", lambda s: "/lti/launch/", everyone(405), post=everyone(403)),
    Entry("lti/deep-link/", lambda s: "/lti/deep-link/", everyone(403), post=everyone(403)),
    Entry("lti/placements/<int:pk>/", lambda s: "/lti/placements/1/", everyone(403),
          post=everyone(403)),
    Entry("lti/link/<str:token>/", lambda s: "/lti/link/forged/", everyone(200),
          post=everyone(400)),
    # The login addresses of the admins and of Wagtail's private pages take no password: they
    # send the anonymous to the site's sign-in form (one form, one throttle), let those who may
    # enter go on to ``next`` and tell the others (signed in) that they have no access.
    Entry("<lang>/accounts/admin-login/", lambda s: ko("admin_login") + "?next=/admin/",
          row(LOGIN, 403, 403, 302, 302, 302, 403, 302), post=everyone(405)),
    Entry("admin/login/", lambda s: "/admin/login/?next=/admin/pages/",
          row(LOGIN, 403, 403, 302, 302, 302, 403, 302), post=everyone(405)),
    Entry("django-admin/login/", lambda s: "/django-admin/login/?next=/django-admin/",
          row(LOGIN, 403, 403, 403, 403, 403, 403, 302), post=everyone(405)),
    Entry("<lang>/_util/login/", lambda s: ko("page_login") + "?next=/ko/",
          signed_in(403, anonymous=LOGIN), post=everyone(405)),
    # The learner's profile.
    Entry("<lang>/accounts/profile/", lambda s: ko("profile"), signed_in(200),
          post=signed_in(302), data=profile_data, csrf_role="learner"),
    # My learning and the learner's course actions.
    Entry("<lang>/learning/", lambda s: ko("courses:dashboard"), signed_in(200)),
    Entry("<lang>/learning/runs/<int:run_id>/enrol/", lambda s: ko("courses:enrol", s.run.pk),
          everyone(405), post=signed_in(302), csrf_role="other_instructor"),
    Entry("<lang>/learning/enrolments/<int:enrolment_id>/drop/",
          lambda s: ko("courses:drop", s.enrolment.pk), everyone(405),
          post=row(LOGIN, 302, 404, 404, 404, 404, 404, 404),
          data=lambda s: {"reason": "I found a job"}, csrf_role="learner"),
    Entry("<lang>/learning/modules/<int:module_id>/complete/",
          lambda s: ko("courses:module_complete", s.modules[0].pk), everyone(405),
          post=signed_in(302), csrf_role="learner"),
    # Grading: the learner's assignment (JSON answers carry the real status).
    Entry("<lang>/grading/assignments/<slug:key>/submit/",
          lambda s: ko("grading:submit", s.assignment.key), signed_in(405),
          post=row(LOGIN, 200, 200, 409, 200, 200, 409, 200), data=notebook, headers=JSON,
          csrf_role="learner"),
    Entry("<lang>/grading/assignments/<slug:key>/panel/",
          lambda s: ko("grading:panel", s.assignment.key), signed_in(200),
          post=signed_in(405)),
    Entry("<lang>/grading/assignments/<slug:key>/notebook/",
          lambda s: ko("grading:released", s.assignment.key),
          row(LOGIN, 200, 200, 404, 200, 200, 404, 200), post=signed_in(405)),
    Entry("<lang>/grading/assignments/<slug:key>/data/<str:name>",
          lambda s: ko("grading:data_file", s.assignment.key, s.data_file.name),
          row(LOGIN, 200, 200, 404, 200, 200, 404, 200)),
    # The course's staff (its instructors, programme staff) may try its assignments, like
    # learners (grading.services.submissions.learner_run); an instructor of another course
    # may not. No hub is configured in the tests: who may use the lab gets 503 ("not
    # connected"), others 404.
    Entry("<lang>/grading/assignments/<slug:key>/lab/",
          lambda s: ko("grading:lab_open", s.assignment.key), signed_in(405),
          post=row(LOGIN, 503, 503, 404, 503, 503, 404, 503), headers=JSON,
          csrf_role="learner"),
    Entry("<lang>/grading/assignments/<slug:key>/lab/wait/",
          lambda s: ko("grading:lab_wait", s.assignment.key),
          row(LOGIN, 503, 503, 404, 503, 503, 404, 503), headers=JSON),
    Entry("<lang>/grading/assignments/<slug:key>/lab/submit/",
          lambda s: ko("grading:lab_submit", s.assignment.key), signed_in(405),
          post=row(LOGIN, 503, 503, 404, 503, 503, 404, 503), headers=JSON,
          csrf_role="learner"),
    Entry("<lang>/grading/submissions/<int:submission_id>/feedback/",
          lambda s: ko("grading:feedback", s.submission.pk),
          row(LOGIN, 200, 404, 404, 200, 200, 404, 200), post=signed_in(405)),
    Entry("<lang>/grading/submissions/<int:submission_id>/feedback/notebook/",
          lambda s: ko("grading:feedback_document", s.submission.pk),
          row(LOGIN, 200, 404, 404, 200, 200, 404, 200), post=signed_in(405)),
    Entry("<lang>/grading/submissions/<int:submission_id>/notebook/",
          lambda s: ko("grading:download", s.submission.pk),
          row(LOGIN, 200, 404, 404, 200, 200, 404, 200)),
    Entry("<lang>/grading/certificates/<str:serial>/pdf/",
          lambda s: ko("certificates:pdf", s.certificate.serial),
          row(LOGIN, 200, 404, 404, 404, 404, 404, 404), post=signed_in(405)),
    Entry("<lang>/grading/certificates/<str:serial>/name/",
          lambda s: ko("certificates:name", s.certificate.serial), signed_in(405),
          post=row(LOGIN, 302, 404, 404, 404, 404, 404, 404), data=lambda s: {"show": "1"},
          csrf_role="learner"),
    # Employment follow-up: the learner's consents and own outcomes; the emailed one-time
    # link's form needs no login (the link is the key).
    Entry("<lang>/outcomes/", lambda s: ko("outcomes:mine"), signed_in(200),
          post=signed_in(405)),
    Entry("<lang>/outcomes/consent/", lambda s: ko("outcomes:consent"), signed_in(200),
          post=signed_in(302), data=lambda s: {"follow_up": "on"}, csrf_role="learner"),
    Entry("<lang>/outcomes/<int:outcome_id>/", lambda s: ko("outcomes:edit", _outcome(s).pk),
          row(LOGIN, 200, 404, 404, 404, 404, 404, 404),
          post=row(LOGIN, 302, 404, 404, 404, 404, 404, 404),
          data=lambda s: {"status": "not_employed"}, csrf_role="learner"),
    Entry("<lang>/outcomes/answer/<str:token>/", _outcome_link, everyone(200),
          post=everyone(200), data=lambda s: {"status": "not_employed"},
          csrf_role="anonymous"),
    # The service status page (/healthz for people).
    Entry("<lang>/status/", lambda s: ko("service_status"), everyone(200), post=everyone(405)),
    # The ministry dashboard and its downloads.
    Entry("<lang>/reports/", lambda s: ko("reports:dashboard"),
          row(LOGIN, 403, 403, 403, 403, 200, 200, 200), post=signed_in(405)),
    Entry("<lang>/reports/export.csv", lambda s: ko("reports:export_csv"),
          row(LOGIN, 403, 403, 403, 403, 200, 200, 200)),
    Entry("<lang>/reports/export.xlsx", lambda s: ko("reports:export_xlsx"),
          row(LOGIN, 403, 403, 403, 403, 200, 200, 200)),
]

# --- Our own views in the Wagtail admin --------------------------------------------------------
# Learners and ministry officers may not use the admin at all: Wagtail sends them to its
# login address (WAGTAILADMIN_LOGIN_URL), which sends the anonymous on to the site's sign-in
# page and tells signed-in accounts that they have no access (403).


def admin_row(other_instructor, instructor, programme_staff, admin) -> dict:
    return row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, other_instructor, instructor,
               programme_staff, ADMIN_LOGIN, admin)


def _gradebook(s: Site, *rest) -> str:
    return f"/admin/gradebook/{s.course.pk}/{s.run.pk}/" + "".join(f"{r}/" for r in rest)


def _snippet(model: str, action: str = "", pk: int | None = None) -> str:
    return f"/admin/snippets/{model}/" + (f"{action}/" if action else "") + (
        f"{pk}/" if pk is not None else "")


def _chooser(model: str, action: str = "") -> str:
    return f"/admin/snippets/choose/{model}/" + (f"{action}/" if action else "")


def _object_views(model: str, obj: Callable[[Site], object], **rows: dict) -> list[Entry]:
    """Wagtail's views of one snippet beyond edit (ScopedSnippetViewSet): delete, usage,
    history and its results. An object outside what its listing shows the user is refused
    with a 403 before Wagtail's model-permission check (which redirects to the dashboard)."""
    route = f"admin/snippets/{model}/{{}}/<int:pk>/"
    return [Entry(route.format(action), lambda s, a=action: _snippet(model, a, obj(s).pk),
                  expected, accepts_post=(action == "delete") or None)
            for action, expected in rows.items()]


def _choosers(model: str, chosen: Callable[[Site], object], lists: dict,
              picks: dict) -> list[Entry]:
    """The snippet's chooser (ScopedChooserViewSet): it lists and returns only what the
    listing shows the user. ``lists``: the choose pages; ``picks``: choosing the object."""
    return [
        Entry(f"admin/snippets/choose/{model}/", lambda s: _chooser(model), lists),
        Entry(f"admin/snippets/choose/{model}/results/",
              lambda s: _chooser(model, "results"), lists),
        Entry(f"admin/snippets/choose/{model}/chosen/<str:pk>/",
              lambda s: _chooser(model, f"chosen/{chosen(s).pk}"), picks),
        Entry(f"admin/snippets/choose/{model}/chosen-multiple/",
              lambda s: _chooser(model, "chosen-multiple") + f"?id={chosen(s).pk}", lists),
    ]


OWN_ADMIN = [
    Entry("admin/gradebook/", lambda s: "/admin/gradebook/", admin_row(200, 200, 200, 200)),
    Entry("admin/gradebook/<int:course_id>/<int:run_id>/", lambda s: _gradebook(s),
          admin_row(403, 200, 200, 200)),
    Entry("admin/gradebook/<int:course_id>/<int:run_id>/regrade/<int:assignment_id>/",
          lambda s: _gradebook(s, "regrade", s.assignment.pk), admin_row(403, 302, 302, 302),
          post=admin_row(403, 302, 302, 302)),
    Entry("admin/gradebook/<int:course_id>/<int:run_id>/learners/<int:learner_id>/",
          lambda s: _gradebook(s, "learners", s.users["learner"].pk),
          admin_row(403, 200, 200, 200), post=admin_row(403, 200, 200, 200),
          data=lambda s: {"assignment": s.assignment.pk, "due_at": "", "reason": ""}),
    Entry("admin/gradebook/submissions/<int:pk>/",
          lambda s: f"/admin/gradebook/submissions/{s.submission.pk}/",
          admin_row(403, 200, 200, 200), post=admin_row(403, 302, 302, 302),
          data=lambda s: {"action": "regrade"}),
    Entry("admin/gradebook/assignments/<int:pk>/release/",
          lambda s: f"/admin/gradebook/assignments/{s.assignment.pk}/release/",
          admin_row(403, 200, 200, 200), post=admin_row(403, 302, 302, 302)),
    Entry("admin/gradebook/assignments/<int:pk>/release/status/",
          lambda s: f"/admin/gradebook/assignments/{s.assignment.pk}/release/status/",
          admin_row(403, 200, 200, 200), post=admin_row(403, 405, 405, 405),
          accepts_post=False),
    Entry("admin/gradebook/assignments/<int:pk>/source/",
          lambda s: f"/admin/gradebook/assignments/{s.assignment.pk}/source/",
          admin_row(403, 200, 200, 200), post=admin_row(403, 405, 405, 405),
          accepts_post=False),
    Entry("admin/gradebook/assignments/<int:pk>/files/<int:file_id>/",
          lambda s: f"/admin/gradebook/assignments/{s.assignment.pk}/files/"
                    f"{s.data_file.pk}/",
          admin_row(403, 200, 200, 200), post=admin_row(403, 405, 405, 405),
          accepts_post=False),
    Entry("admin/snippets/courses/programmerun/", lambda s: _snippet("courses/programmerun"),
          admin_row(302, 302, 200, 200)),
    Entry("admin/snippets/courses/programmerun/results/",
          lambda s: _snippet("courses/programmerun", "results"), admin_row(302, 302, 200, 200)),
    Entry("admin/snippets/courses/programmerun/edit/<int:pk>/",
          lambda s: _snippet("courses/programmerun", "edit", s.run.pk),
          admin_row(302, 302, 200, 200), accepts_post=True),
    Entry("admin/snippets/courses/programmerun/delete/<int:pk>/",
          lambda s: _snippet("courses/programmerun", "delete", s.run.pk),
          # A run with enrolments cannot be deleted: its editors are sent back to it.
          admin_row(302, 302, 302, 302), accepts_post=True),
    Entry("admin/snippets/courses/programmerun/bulk-enrol/<int:pk>/",
          lambda s: _snippet("courses/programmerun", "bulk-enrol", s.run.pk),
          admin_row(403, 403, 200, 200), post=admin_row(403, 403, 200, 200)),
    Entry("admin/snippets/courses/enrolment/add/", lambda s: _snippet("courses/enrolment", "add"),
          admin_row(403, 403, 200, 200), post=admin_row(403, 403, 200, 200)),
    Entry("admin/snippets/courses/enrolment/", lambda s: _snippet("courses/enrolment"),
          admin_row(200, 200, 200, 200)),
    Entry("admin/snippets/courses/enrolment/results/",
          lambda s: _snippet("courses/enrolment", "results"), admin_row(200, 200, 200, 200)),
    Entry("admin/snippets/courses/enrolment/edit/<int:pk>/",
          lambda s: _snippet("courses/enrolment", "edit", s.enrolment.pk),
          admin_row(302, 302, 200, 200), accepts_post=True),
    Entry("admin/snippets/courses/enrolment/approve/<int:pk>/",
          lambda s: _snippet("courses/enrolment", "approve", s.enrolment.pk),
          admin_row(403, 403, 200, 200), post=admin_row(403, 403, 302, 302)),
    Entry("admin/snippets/courses/enrolment/drop/<int:pk>/",
          lambda s: _snippet("courses/enrolment", "drop", s.enrolment.pk),
          admin_row(403, 403, 200, 200), post=admin_row(403, 403, 302, 302),
          data=lambda s: {"reason": "left the programme"}),
    Entry("admin/snippets/grading/assignment/", lambda s: _snippet("grading/assignment"),
          admin_row(200, 200, 200, 200)),
    Entry("admin/snippets/grading/assignment/results/",
          lambda s: _snippet("grading/assignment", "results"), admin_row(200, 200, 200, 200)),
    Entry("admin/snippets/grading/assignment/edit/<int:pk>/",
          lambda s: _snippet("grading/assignment", "edit", s.assignment.pk),
          admin_row(403, 200, 200, 200), accepts_post=True),
    # Every other view of one assignment, run or enrolment follows the listing: the instructor
    # of another course gets a 403 for the course's assignment (its title, editors and times
    # stay hidden). Enrolments are seen per programme, and both instructors teach in this one:
    # there Wagtail's model permissions decide (instructors may only list enrolments). Another
    # programme's instructor: tests/security/test_admin_object_scope.py.
    *_object_views("grading/assignment", lambda s: s.assignment,
                   delete=admin_row(403, 302, 200, 200),
                   usage=admin_row(403, 200, 200, 200),
                   history=admin_row(403, 200, 200, 200),
                   **{"history-results": admin_row(403, 200, 200, 200)}),
    *_choosers("grading/assignment", lambda s: s.assignment,
               lists=admin_row(200, 200, 200, 200), picks=admin_row(403, 200, 200, 200)),
    *_object_views("courses/programmerun", lambda s: s.run,
                   usage=admin_row(302, 302, 200, 200),
                   history=admin_row(302, 302, 200, 200),
                   **{"history-results": admin_row(302, 302, 200, 200)}),
    *_choosers("courses/programmerun", lambda s: s.run,
               lists=admin_row(200, 200, 200, 200), picks=admin_row(200, 200, 200, 200)),
    *_object_views("courses/enrolment", lambda s: s.enrolment,
                   delete=admin_row(302, 302, 302, 200),
                   usage=admin_row(302, 302, 200, 200),
                   history=admin_row(302, 302, 200, 200),
                   **{"history-results": admin_row(302, 302, 200, 200)}),
    *_choosers("courses/enrolment", lambda s: s.enrolment,
               lists=admin_row(200, 200, 200, 200), picks=admin_row(200, 200, 200, 200)),
    Entry("admin/reports/site-history/", lambda s: "/admin/reports/site-history/",
          admin_row(403, 403, 200, 200)),
    Entry("admin/reports/site-history/results/",
          lambda s: "/admin/reports/site-history/results/", admin_row(403, 403, 200, 200)),
    Entry("admin/snippets/certificates/certificate/",
          lambda s: _snippet("certificates/certificate"),
          admin_row(302, 302, 200, 200)),
    Entry("admin/snippets/certificates/certificate/results/",
          lambda s: _snippet("certificates/certificate", "results"), admin_row(302, 302, 200, 200)),
    Entry("admin/snippets/certificates/certificate/revoke/<int:pk>/",
          lambda s: _snippet("certificates/certificate", "revoke", s.certificate.pk),
          admin_row(403, 403, 200, 200), post=admin_row(403, 403, 302, 302),
          data=lambda s: {"reason": "issued in error"}),
    # Employment outcomes: staff correct an answer; the matching list (personal data) is for
    # programme staff only, never the ministry or instructors.
    Entry("admin/snippets/outcomes/outcome/edit/<int:pk>/",
          lambda s: _snippet("outcomes/outcome", "edit", _outcome(s).pk),
          admin_row(302, 302, 200, 200), accepts_post=True),
    Entry("admin/outcomes/matching-export/", lambda s: "/admin/outcomes/matching-export/",
          admin_row(403, 403, 200, 200), post=admin_row(403, 403, 200, 200),
          data=lambda s: {"year": str(s.run.year)}),
]

# --- Third-party areas, by prefix ---------------------------------------------------------------
# Route prefix → the packages whose views may live there unlisted.
PREFIXES = {
    "admin/": ("wagtail.", "django.views.generic"),
    "django-admin/": ("django.contrib.", "django.views.generic", "taggit."),
    "o/": ("oauth2_provider.",),
    "<lang>/accounts/": ("allauth.",),
    "<lang>/_util/": ("wagtail.", "django.contrib.auth."),
    "documents/": ("wagtail.documents.",),
    # Wagtail's pages (ours), routed by courses.views.serve and served by Wagtail's view.
    "<lang>/^((?:[\\w\\-]+/)*)$": ("wagtail.", "courses.views.serve"),
}


def _page(attr: str):
    def url(s: Site) -> str:
        return getattr(s, attr).get_url()
    return url


THIRD_PARTY = [
    # Wagtail pages: the course site is public; what a module shows is gated in the page.
    Entry(None, lambda s: "/ko/", everyone(200)),
    Entry(None, _page("programme"), everyone(200)),
    Entry(None, _page("course"), everyone(200)),
    Entry(None, _page("module"), everyone(200)),
    Entry(None, lambda s: "/ko/no-such-page/", everyone(404)),
    Entry(None, lambda s: "/ko/_util/authenticate_with_password/1/1/", everyone(404)),
    Entry(None, lambda s: s.document.url, everyone(200)),
    # The Wagtail admin: authoring roles only; each instructor edits their own course.
    Entry(None, lambda s: "/admin/", admin_row(200, 200, 200, 200)),
    Entry(None, lambda s: f"/admin/pages/{s.course.pk}/edit/", admin_row(302, 200, 200, 200),
          accepts_post=True, csrf_role="instructor"),
    Entry(None, lambda s: f"/admin/pages/{s.programme.pk}/edit/",
          admin_row(302, 302, 200, 200)),
    Entry(None, lambda s: "/admin/users/", admin_row(302, 302, 302, 200)),
    # The Django admin: superusers only.
    Entry(None, lambda s: "/django-admin/", row(*[DJANGO_ADMIN_LOGIN] * 7, 200)),
    Entry(None, lambda s: "/django-admin/accounts/user/", row(*[DJANGO_ADMIN_LOGIN] * 7, 200)),
    Entry(None, lambda s: f"/django-admin/accounts/user/{s.users['learner'].pk}/change/",
          row(*[DJANGO_ADMIN_LOGIN] * 7, 200), accepts_post=True),
    # allauth.
    Entry(None, lambda s: ko("account_login"), signed_in(302, anonymous=200),
          accepts_post=True, csrf_role="anonymous"),
    Entry(None, lambda s: ko("account_signup"), signed_in(302, anonymous=200),
          accepts_post=True, csrf_role="anonymous"),
    Entry(None, lambda s: ko("account_logout"), signed_in(200, anonymous=302),
          accepts_post=True, csrf_role="learner"),
    Entry(None, lambda s: ko("account_change_password"), signed_in(200), accepts_post=True,
          csrf_role="learner"),
    Entry(None, lambda s: ko("account_email"), signed_in(200), accepts_post=True,
          csrf_role="learner"),
    # The OAuth 2.0 / OpenID Connect provider (the hub's single sign-on).
    Entry(None, lambda s: "/o/authorize/", signed_in(400)),
    Entry(None, lambda s: "/o/token/", everyone(405), post=everyone(400),
          csrf_exempt_by_design=True),
    Entry(None, lambda s: "/o/.well-known/openid-configuration", everyone(200)),
    Entry(None, lambda s: "/o/.well-known/jwks.json", everyone(200)),
    Entry(None, lambda s: "/o/userinfo/", everyone(401)),
]

MATRIX = OWN + OWN_ADMIN + THIRD_PARTY
