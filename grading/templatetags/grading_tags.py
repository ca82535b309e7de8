"""``{% assignment_panel key %}``: the learner's panel of a notebook assignment.

Used by the courses app's notebook assignment block, which knows the assignment only by its
key; this tag is the seam between the two apps.
"""

from django import template
from django.template.loader import render_to_string

from grading.models import Assignment, GradeStatus
from grading.views import assignment_panel_context, assignment_panel_contexts

register = template.Library()


@register.simple_tag(takes_context=True)
def assignment_panel(context, key: str) -> str:
    request = context.get("request")
    assignment = Assignment.objects.filter(key=key).select_related("module").first()
    ctx = assignment_panel_context(request, assignment)
    ctx["view"] = context.get("view")
    return render_to_string("grading/assignment_panel.html", ctx, request=request)


@register.simple_tag(takes_context=True)
def assignment_panels(context, module) -> dict[str, str]:
    """The learner's panel of each notebook assignment of a module, by key, in a fixed number
    of queries whatever their number: the module page puts each after its part of the body,
    which is rendered once for everyone (``courses.rendering``)."""
    keys = module.assignment_keys
    if not keys:
        return {}
    request = context.get("request")
    return {key: render_to_string("grading/assignment_panel.html",
                                  {**ctx, "view": context.get("view")}, request=request)
            for key, ctx in assignment_panel_contexts(request, keys, module=module).items()}


@register.filter
def points(value) -> str:
    """2.50 → "2.5", 3.00 → "3"."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return ""


@register.filter
def get_item(mapping, key):
    """``{{ dict|get_item:key }}`` (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def grade_message(grade) -> str:
    """The grade's message in the page's language."""
    from django.utils.translation import get_language

    return grade.message_in(get_language() or "") if grade is not None else ""


@register.filter
def grade_status(value) -> str:
    """A grade's (or a checked notebook's) status in the page's language."""
    try:
        return str(GradeStatus(value).label)
    except ValueError:
        return str(value or "")
