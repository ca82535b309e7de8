"""Finding the page of a URL in one query.

Wagtail walks the tree from the site's root, two queries a level (the child, then its specific
row), after one for the site, one for the locale and one for the root; then two more for the
view restrictions of the page and its ancestors. The course site's tree has a fixed shape
(catalogue → programme → course → module: each kind allows only the next below it), so the
kind of page is known from the number of slugs, and the page is one query by its
``url_path``. The site, the catalogue of each language and the paths under a view restriction
or an alias come from the tree cache (``courses.caching``): a page below none of them needs
no query for Wagtail's check of view restrictions.

Anything else (another shape, a page that is not found, a root that is not a catalogue) goes
through Wagtail's own walk, which also raises the 404s.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils import translation
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.url_routing import RouteResult

from courses.caching import tree_cached
from courses.models import CataloguePage, CoursePage, ModulePage, ProgrammePage

# The kind of page at each depth below a catalogue (its subpage_types, level by level).
_KIND_BELOW_CATALOGUE = {1: ProgrammePage, 2: CoursePage, 3: ModulePage}


def _site_root(site: Site) -> Page:
    """The root of the site in the active language, as Wagtail's router takes it."""
    return tree_cached(f"root:{site.pk}:{translation.get_language()}",
                       lambda: site.root_page.localized.specific)


def _guarded_paths() -> list[str]:
    """Tree paths of the pages with a view restriction, and of the aliases: a page at or below
    one is left to Wagtail's own check. From the tree cache, which every change of a
    restriction also moves on (``courses.receivers``)."""
    return tree_cached("guarded-paths", lambda: [
        *PageViewRestriction.objects.values_list("page__path", flat=True),
        *Page.objects.filter(alias_of__isnull=False).values_list("path", flat=True)])


def page_route(*, request: HttpRequest, site: Site, path: str) -> RouteResult | None:
    """The route result of ``path`` on ``site`` (None for a 404), as ``Page.route`` gives."""
    root = _site_root(site)
    components = [component for component in path.split("/") if component]
    kind = _KIND_BELOW_CATALOGUE.get(len(components))
    try:
        if kind is None or not isinstance(root, CataloguePage):
            return root.route(request, components)
        page = kind.objects.filter(url_path=f"{root.url_path}{'/'.join(components)}/",
                                   path__startswith=root.path,
                                   depth=root.depth + len(components)).first()
        if page is None:
            return root.route(request, components)
        page.view_restrictions_known_empty = not any(
            page.path.startswith(guarded) for guarded in _guarded_paths())
        return page.route(request, [])
    except Http404:
        return None
