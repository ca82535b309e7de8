"""Where each button of the language switcher takes the visitor.

On a Wagtail page the translation has its own URL (its slug may differ), so the button for a
language points at the page's translation in that language, or, when the page is not
translated yet, at its nearest translated ancestor. Elsewhere the current URL is passed and
Django's ``set_language`` swaps the language prefix itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.utils import translation
from wagtail.models import Page

from courses.caching import tree_cached

register = template.Library()


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    next: str
    current: bool


def _candidates(page: Page, codes: list[str]) -> dict[str, list[tuple[Page, bool]]]:
    """Per language code, the pages the button may lead to, best first: the page's live
    translation (True: the query string follows), then its live translated ancestors, the
    nearest first. The same for everyone: kept in the tree cache (``courses.caching``), two
    queries when it has not got them."""
    def find() -> dict[str, list[tuple[Page, bool]]]:
        found: dict[str, list[tuple[Page, bool]]] = {code: [] for code in codes}
        for translated in (Page.objects.live().filter(translation_key=page.translation_key,
                                                      locale__language_code__in=codes)
                           .select_related("locale")):
            found[translated.locale.language_code].append((translated, True))
        if page.depth > 1:
            for ancestor in (Page.objects.live()
                             .filter(translation_key__in=page.get_ancestors().values(
                                 "translation_key"),
                                 locale__language_code__in=codes, depth__gt=1)
                             .select_related("locale").order_by("-depth")):
                found[ancestor.locale.language_code].append((ancestor, False))
        return found

    return tree_cached(f"languages:{page.pk}", find)


def _page_targets(page: Page, request, codes: list[str]) -> dict[str, str]:
    """URL per language code of the page's live translation or nearest translated ancestor."""
    query = request.META.get("QUERY_STRING", "") if request else ""
    suffix = f"?{query}" if query else ""
    targets: dict[str, str] = {}
    for code, candidates in _candidates(page, codes).items():
        for candidate, is_translation in candidates:
            url = candidate.get_url(request=request)
            if url:
                targets[code] = url + suffix if is_translation else url
                break
    return targets


@register.simple_tag(takes_context=True)
def language_links(context) -> list[LanguageLink]:
    """One link per language of the site: its name in that language and the URL to go to."""
    request = context.get("request")
    here = request.get_full_path() if request else "/"
    codes = [code for code, _name in settings.LANGUAGES]
    page = context.get("page")
    targets = _page_targets(page, request, codes) if isinstance(page, Page) and page.pk else {}
    current = translation.get_language()
    return [
        LanguageLink(code=code, name=translation.get_language_info(code)["name_local"],
                     next=targets.get(code, here), current=code == current)
        for code in codes
    ]
