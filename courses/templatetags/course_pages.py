"""What the course pages show, read through ``courses.selectors`` by the page templates.

The page models only hold content; each page template asks for its context here::

    {% load course_pages %}{% module_view_of page as view %}

A template that needs the same context in several blocks (the title and the content) asks
in each: the first answer is kept on the request, so the selector runs once per request.
"""

from __future__ import annotations

from django import template

from courses.rendering import module_body_parts
from courses.selectors import catalogue_listing, course_overview, module_view, programme_overview

register = template.Library()


def _once(context, name: str, page, compute):
    request = context.get("request")
    if request is None:
        return compute()
    memo = request.__dict__.setdefault("_course_pages", {})
    key = (name, page.pk)
    if key not in memo:
        memo[key] = compute()
    return memo[key]


@register.simple_tag(takes_context=True)
def catalogue_listing_of(context, page):
    """The catalogue's programme cards, filters and search hits (from the query string)."""
    request = context["request"]
    return _once(context, "catalogue", page,
                 lambda: catalogue_listing(catalogue=page, params=request.GET))


@register.simple_tag(takes_context=True)
def programme_overview_of(context, page):
    """A programme's courses with the user's progress, its runs and the enrol actions."""
    return _once(context, "programme", page,
                 lambda: programme_overview(programme=page, user=context["request"].user))


@register.simple_tag(takes_context=True)
def course_overview_of(context, page):
    """A course's outline with the user's progress and locks."""
    return _once(context, "course", page,
                 lambda: course_overview(course=page, user=context["request"].user))


def module_view_for_request(request, page):
    """The module's view for the request's user, computed once per request (the visit hook
    and the template ask for the same one)."""
    return _once({"request": request}, "module", page,
                 lambda: module_view(module=page, user=request.user))


@register.simple_tag(takes_context=True)
def module_view_of(context, page):
    """A module's course outline, neighbours, lock and progress for the user."""
    return _once(context, "module", page,
                 lambda: module_view(module=page, user=context["request"].user))


@register.simple_tag(takes_context=True)
def module_body(context, page):
    """The module's body in parts (``courses.rendering``): rendered HTML, each followed by the
    key of the assignment whose panel goes there. From the cache only when the page is served
    live to this request (``courses.wagtail_hooks`` marks it so; never a preview)."""
    request = context.get("request")
    live = (request is not None and not getattr(request, "is_preview", False)
            and getattr(request, "lms_served_live_page_id", None) == page.pk)
    return module_body_parts(page, live=live)
