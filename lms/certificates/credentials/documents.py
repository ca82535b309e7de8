"""The JSON-LD document loader: only the contexts shipped in ``contexts/``, nothing fetched.

A context decides what a signature covers (a term it does not define is dropped before
canonicalization). Fetching contexts when a credential is signed or checked would let
whoever serves them change that, and would make verification depend on the network; so
the exact documents ship with the project and anything else is refused with a clear error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from pyld import jsonld
from pyld.context_resolver import ContextResolver

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
# URL -> the file that holds the official document, byte for byte (see contexts/README.md).
SHIPPED_CONTEXTS = {
    VC_V2: "credentials-v2.json",
    OB_V3: "ob-v3p0-context-3.0.3.json",
}

Loader = Callable[[str, Any], dict]


class ContextNotAllowed(Exception):
    """A document names a context this site does not ship (and will not fetch)."""

    def __init__(self, url: str):
        self.url = url
        super().__init__(_("The JSON-LD context %(url)s is not one this site ships; contexts "
                           "are never fetched from the network.") % {"url": url})


class UndefinedTerms(Exception):
    """Properties that the document's contexts do not define: canonicalization would drop
    them, so a signature would not cover them."""

    def __init__(self, terms: list[str]):
        self.terms = terms
        super().__init__(_("Properties not defined by the credential's contexts (a signature "
                           "would not cover them): %(terms)s") % {"terms": ", ".join(terms)})


@cache
def shipped_context(url: str) -> dict:
    """The parsed document of a shipped context (raises ContextNotAllowed for others)."""
    name = SHIPPED_CONTEXTS.get(url)
    if name is None:
        raise ContextNotAllowed(url)
    return json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))


def document_loader(*, extra: Mapping[str, dict] | None = None) -> Loader:
    """A pyld document loader that serves the shipped contexts (and ``extra``, for the
    specification's test vectors) and refuses every other URL."""
    extra = dict(extra or {})

    def load(url: str, options: Any = None) -> dict:
        document = extra[url] if url in extra else shipped_context(url)
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": url, "document": document}

    return load


def _options(loader: Loader) -> dict:
    # A resolver of our own: pyld's default one caches resolved contexts process-wide by
    # URL, which could hand us a context that another loader fetched.
    return {"documentLoader": loader, "contextResolver": ContextResolver({}, loader)}


def _unwrap(exc: BaseException) -> ContextNotAllowed | None:
    """pyld wraps loader errors in its own; find ours."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ContextNotAllowed):
            return exc
        seen.add(id(exc))
        details = getattr(exc, "details", None)
        exc = exc.__cause__ or exc.__context__ or (
            details.get("cause") if isinstance(details, dict) else None)
    return None


def expand_strict(document: dict, *, loader: Loader) -> list:
    """JSON-LD expansion that fails on unknown contexts and on undefined properties."""
    dropped: list[str] = []
    try:
        expanded = jsonld.expand(document, _options(loader),
                                 on_property_dropped=lambda term: dropped.append(str(term)))
    except jsonld.JsonLdError as exc:
        refused = _unwrap(exc)
        if refused is not None:
            raise refused from None
        raise
    if dropped:
        raise UndefinedTerms(sorted(set(dropped)))
    return expanded


def canonicalize(document: dict, *, loader: Loader) -> str:
    """RDF Dataset Canonicalization (RDFC-1.0, which pyld calls URDNA2015) as N-Quads."""
    try:
        return jsonld.normalize(document, {**_options(loader), "algorithm": "URDNA2015",
                                           "format": "application/n-quads"})
    except jsonld.JsonLdError as exc:
        refused = _unwrap(exc)
        if refused is not None:
            raise refused from None
        raise
