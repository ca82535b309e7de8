"""Reads for credentials: certificates by credential, by holder, and the revoked ones."""

from __future__ import annotations

from lms.certificates.credentials import links
from lms.certificates.models import Certificate


def certificate_for_credential(*, credential_id: object) -> Certificate | None:
    """The certificate whose credential has this id (its verification page), if ours."""
    match = links.local_match(credential_id)
    if match is None or match.url_name != "certificate_verify":
        return None
    return Certificate.objects.filter(code=match.kwargs.get("code")).first()


def certificate_of_holder(*, user, serial: str) -> Certificate | None:
    """The certificate ``serial`` when ``user`` holds it (None for anyone else's)."""
    if not user.is_authenticated:
        return None
    return (Certificate.objects.select_related("enrolment__run__programme")
            .filter(serial=serial, enrolment__learner=user).first())


def revoked_certificate_ids(*, first: int, last: int) -> list[int]:
    """Primary keys in ``[first, last)`` of revoked certificates."""
    return list(Certificate.objects.filter(pk__gte=first, pk__lt=last,
                                           revoked_at__isnull=False)
                .values_list("pk", flat=True))
