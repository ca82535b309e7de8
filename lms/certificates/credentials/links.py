"""The addresses of this site that credentials name (issuer, keys, status lists, credentials).

They are absolute, from ``WAGTAILADMIN_BASE_URL`` (env LMS_BASE_URL), because a credential
is read away from the site; and they are read back (``local_match``) to tell this site's
credentials and keys from others.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import Resolver404, ResolverMatch, resolve, reverse


def base_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def absolute(path: str) -> str:
    return base_url() + path


def issuer_url() -> str:
    return absolute(reverse("credentials:issuer"))


def key_url(public_key_multibase: str) -> str:
    return absolute(reverse("credentials:key", args=[public_key_multibase]))


def status_list_url(number: int) -> str:
    return absolute(reverse("credentials:status_list", args=[number]))


def achievement_url(programme_key) -> str:
    return absolute(reverse("credentials:achievement", args=[programme_key]))


def credential_url(certificate) -> str:
    """The credential's id: the certificate's public verification page."""
    return absolute(reverse("certificate_verify", args=[certificate.code]))


def local_match(url: object) -> ResolverMatch | None:
    """The route of ``url`` when it is an address of this site, else None."""
    if not isinstance(url, str):
        return None
    base = base_url()
    if not url.startswith(base + "/"):
        return None
    path = url[len(base):].split("#", 1)[0].split("?", 1)[0]
    try:
        return resolve(path)
    except Resolver404:
        return None
