"""Finding the page of a URL in one query.

Wagtail walks the tree from the site's root, two queries a level (the child, then its specific
row), after one for the site, one for the locale and one for the root; then two more for the
view restrictions of the page and its ancestors. The course site's tree has a fixed shape
(catalogue → programme → course → module: each kind allows only the next below it), so the
kind of page is known from the number of slugs, and the page is one query by its
``url_path``, which also says whether a view restriction or an alias lies on its way. The
site and the catalogue of each language come from the tree cache (``courses.caching``).

Anything else (another shape, a page that is not found, a root that is not a catalogue) goes
through Wagtail's own walk, which also raises the 404s.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Length, Substr
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


def _on_the_way(queryset):
    """Rows of ``queryset`` on the path from the root to the outer page, itself included
    (a row whose ``page_path`` begins the outer page's path)."""
    return queryset.annotate(prefix_length=Length("page_path")).filter(
        page_path=Substr(OuterRef("path"), 1, F("prefix_length")))


def page_route(*, request: HttpRequest, site: Site, path: str) -> RouteResult | None:
    """The route result of ``path`` on ``site`` (None for a 404), as ``Page.route`` gives."""
    root = _site_root(site)
    components = [component for component in path.split("/") if component]
    kind = _KIND_BELOW_CATALOGUE.get(len(components))
    try:
        if kind is None or not isinstance(root, CataloguePage):
            return root.route(request, components)
        restricted = _on_the_way(PageViewRestriction.objects.annotate(page_path=F("page__path")))
        aliased = _on_the_way(Page.objects.filter(alias_of__isnull=False)
                              .annotate(page_path=F("path")))
        page = (kind.objects.filter(url_path=f"{root.url_path}{'/'.join(components)}/",
                                    path__startswith=root.path,
                                    depth=root.depth + len(components))
                .annotate(restricted=Exists(restricted), aliased=Exists(aliased)).first())
        if page is None:
            return root.route(request, components)
        page.view_restrictions_known_empty = not (page.restricted or page.aliased)
        return page.route(request, [])
    except Http404:
        return None
