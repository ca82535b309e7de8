"""Reads of certificates: the completion rule of a run, and certificates by code or holder.

The completion rule of a run (:func:`completion_evaluate`):

- every notebook assignment placed in the programme's modules is passed (the pass rule of
  ``grading.selectors.grades``), counting submissions made by the end of the run (the
  learner's extension, when later, counts instead);
- every reading module (one without an assignment) is marked complete by the end of the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, ModuleProgress
from courses.selectors import programme_modules
from grading.models import Assignment, Extension
from grading.selectors.grades import assignment_passed
from lms.certificates.models import Certificate


@dataclass
class Completion:
    complete: bool
    missing: list[str] = field(default_factory=list)  # what is still to do, for the learner


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def completion_evaluate(*, enrolment: Enrolment) -> Completion:
    """Whether the learner has completed the run, and what is missing if not."""
    run, learner = enrolment.run, enrolment.learner
    modules = programme_modules(programme=run.programme)
    keys = [m.translation_key for m in modules]
    assignments = list(Assignment.objects.filter(module__translation_key__in=keys)
                       .select_related("module"))
    with_assignments = {a.module.translation_key for a in assignments}
    run_end = _end_of(run.ends_on)
    extensions = {e.assignment_id: e.due_at for e in Extension.objects.filter(
        learner=learner, assignment__in=assignments)}
    missing: list[str] = []
    for assignment in assignments:
        deadline = max(run_end, extensions.get(assignment.pk, run_end))
        if not assignment_passed(assignment=assignment, learner=learner,
                                 submitted_by=deadline):
            missing.append(str(_("Pass the assignment “%(title)s”.")
                               % {"title": assignment.title}))
    done = set(ModuleProgress.objects.filter(
        learner=learner, module_key__in=keys, completed_at__isnull=False,
        completed_at__lte=run_end).values_list("module_key", flat=True))
    for module in modules:
        if module.translation_key not in with_assignments and module.translation_key not in done:
            missing.append(str(_("Complete the module “%(title)s”.") % {"title": module.title}))
    return Completion(complete=not missing and bool(modules), missing=missing)


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate a verification code names (None: no such certificate)."""
    return Certificate.objects.filter(code=code).first()


def certificates_by_enrolment(*, learner) -> dict[int, Certificate]:
    """The learner's certificates, by enrolment id (for "My learning")."""
    return {c.enrolment_id: c for c in Certificate.objects.filter(enrolment__learner=learner)}


def certificates_issued() -> dict[str, int]:
    """Certificates issued so far, still valid and revoked (counts only: the metrics)."""
    counts = Certificate.objects.aggregate(
        total=Count("pk"), revoked=Count("pk", filter=Q(revoked_at__isnull=False)))
    return {"valid": counts["total"] - counts["revoked"], "revoked": counts["revoked"]}
