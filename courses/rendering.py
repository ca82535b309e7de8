"""A module's body, rendered once per published revision and language, for everyone.

The body (rich text, highlighted code, figures, embeds) is the same for every learner except
the panels of its notebook assignments, which show each learner their own submissions. So the
body is rendered without the request, the user or anything else of the visitor, with a
placeholder where each panel goes, and kept in the cache as the parts between placeholders;
the page puts the visitor's panels between them (``{% module_body %}`` in
``courses/templatetags/course_pages.py`` and ``module_page.html``).

The key names the page, its live revision (a newly published revision is a new key, shown at
once), the language (the blocks' own words are translated) and the tree version (the rich
text's links to other pages follow them when they move). Only a page served live is cached:
a preview, or a draft shown to an editor, is rendered afresh every time and never stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from courses.caching import tree_version
from courses.models import ModulePage

BODY_KEY_PREFIX = "courses:body:1"
BODY_TIMEOUT = 24 * 3600


@dataclass(frozen=True)
class BodyPart:
    """Rendered HTML, then the key of the assignment whose panel follows it ("" for none)."""

    html: SafeString
    assignment_key: str


def _render(page: ModulePage) -> list[BodyPart]:
    marker = f"<!--assignment-panel-{secrets.token_hex(16)}-->"
    # Nothing of the visitor in the context: what is rendered here may be shown to anyone.
    context = {"page": page, "assignment_panel_marker": mark_safe(marker)}  # noqa: S308 - ours
    html = "".join(conditional_escape(block.render(context=context)) for block in page.body)
    pieces = html.split(marker)
    keys = page.assignment_keys
    if len(pieces) != len(keys) + 1:
        raise ValueError(f"module {page.pk}: {len(pieces) - 1} assignment panels placed for "
                         f"{len(keys)} assignments")
    return [BodyPart(html=mark_safe(piece), assignment_key=key)  # noqa: S308 - rendered
            for piece, key in zip(pieces, [*keys, ""], strict=True)]


def module_body_parts(page: ModulePage, *, live: bool) -> list[BodyPart]:
    """The module's body in parts; from the cache when ``live`` (the page served as
    published, not a preview) and the page has a published revision."""
    revision = page.live_revision_id or page.latest_revision_id
    if not live or revision is None:
        return _render(page)
    key = f"{BODY_KEY_PREFIX}:{page.pk}:{revision}:{get_language()}:{tree_version()}"
    parts = cache.get(key)
    if parts is None:
        parts = _render(page)
        cache.set(key, parts, timeout=BODY_TIMEOUT)
    return parts
