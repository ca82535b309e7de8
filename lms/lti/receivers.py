"""Every deployment registered gets its (empty) list of programmes, so that the admin lists
each deployment there to be given its programmes; until then it opens nothing."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver
from lti_tool.models import LtiDeployment

from lms.lti.models import DeploymentScope


@receiver(post_save, sender=LtiDeployment, dispatch_uid="lti_deployment_scope")
def deployment_scope_ensure(sender, instance: LtiDeployment, created: bool, raw: bool = False,
                            **kwargs) -> None:
    if created and not raw:
        DeploymentScope.objects.get_or_create(deployment=instance)
