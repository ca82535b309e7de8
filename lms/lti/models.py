"""What the LTI tool keeps beside django-lti's models (registrations, deployments, keys, users,
contexts, memberships, resource links, line items live in ``lti_tool``):

- :class:`DeploymentScope`: the programmes a platform's deployment may open and enrol into;
- :class:`Placement`: what a platform's resource link opens here (a page, maybe an assignment);
- :class:`LaunchNonce`: nonces already used, so that a launch is accepted once;
- :class:`ScorePost`: the last score sent for a person and an assignment's line item (the
  idempotency record of the AGS task, and what instructors resend).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeploymentScope(models.Model):
    """The programmes a deployment of the tool (a university's LMS, or one of its courses) may
    place in its courses and enrol its learners in, with their courses, modules and
    assignments. A deployment without one may open nothing: a platform registered here does
    not thereby reach every programme of the site, nor admit its people past a programme's
    own admission (a launch enrols a learner approved)."""

    deployment = models.OneToOneField("lti_tool.LtiDeployment", on_delete=models.CASCADE,
                                      related_name="scope", verbose_name=_("deployment"))
    programmes = models.ManyToManyField(
        "courses.ProgrammePage", blank=True, related_name="lti_scopes",
        verbose_name=_("programmes"),
        help_text=_("The programmes this deployment may open (in every language)."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("LTI deployment's programmes")
        verbose_name_plural = _("LTI deployments' programmes")

    def __str__(self) -> str:
        return str(self.deployment)


class Placement(models.Model):
    """A resource link of a platform's course, and what it opens here: a programme, course or
    module page and, when it is graded, the assignment whose grades go back to the platform.
    Learners launched through it are enrolled in ``run`` (or the programme's open run)."""

    resource_link = models.OneToOneField("lti_tool.LtiResourceLink", on_delete=models.CASCADE,
                                         related_name="placement",
                                         verbose_name=_("resource link"))
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE,
                             related_name="lti_placements", verbose_name=_("page"))
    assignment = models.ForeignKey("grading.Assignment", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="lti_placements",
                                   verbose_name=_("assignment"))
    run = models.ForeignKey("courses.ProgrammeRun", on_delete=models.SET_NULL, null=True,
                            blank=True, related_name="lti_placements",
                            verbose_name=_("run learners join"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("LTI placement")
        verbose_name_plural = _("LTI placements")

    def __str__(self) -> str:
        return f"{self.resource_link} → {self.page}"


class LaunchNonce(models.Model):
    """A nonce of an accepted launch: the same id_token posted again is refused."""

    issuer = models.CharField(_("issuer"), max_length=255)
    nonce = models.CharField(_("nonce"), max_length=255)
    used_at = models.DateTimeField(_("used at"), default=timezone.now)

    class Meta:
        verbose_name = _("LTI launch nonce")
        verbose_name_plural = _("LTI launch nonces")
        constraints = [models.UniqueConstraint(fields=["issuer", "nonce"],
                                               name="lti_nonce_once_per_issuer")]
        indexes = [models.Index(fields=["used_at"])]

    def __str__(self) -> str:
        return f"{self.issuer} {self.nonce[:12]}"


class ScorePostStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ScorePost(models.Model):
    """The score of one person on one line item as last sent to the platform (or being sent)."""

    line_item = models.ForeignKey("lti_tool.LtiLineItem", on_delete=models.CASCADE,
                                  related_name="score_posts", verbose_name=_("line item"))
    lti_user = models.ForeignKey("lti_tool.LtiUser", on_delete=models.CASCADE,
                                 related_name="score_posts", verbose_name=_("LTI user"))
    assignment = models.ForeignKey("grading.Assignment", on_delete=models.CASCADE,
                                   related_name="lti_score_posts", verbose_name=_("assignment"))
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, null=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=8, decimal_places=2,
                                    null=True)
    needs_manual_grade = models.BooleanField(_("waiting for a manual grade"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=ScorePostStatus.choices,
                              default=ScorePostStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("LTI score post")
        verbose_name_plural = _("LTI score posts")
        constraints = [models.UniqueConstraint(fields=["line_item", "lti_user"],
                                               name="lti_score_once_per_user_line_item")]

    def __str__(self) -> str:
        return f"{self.lti_user} {self.score}/{self.max_score} ({self.status})"
