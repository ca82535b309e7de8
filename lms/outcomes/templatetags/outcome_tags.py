"""The employment follow-up's boxes on other apps' pages: "My learning" (after a completion)
and the profile."""

from django import template

from lms.outcomes.selectors import consent_of

register = template.Library()


def _consent(context):
    # One query per page, however many boxes it shows.
    if "outcome_consent" not in context.render_context:
        user = context["request"].user
        context.render_context["outcome_consent"] = consent_of(user=user) \
            if user.is_authenticated else None
    return context.render_context["outcome_consent"]


@register.inclusion_tag("outcomes/consent_summary.html", takes_context=True)
def outcome_consent_box(context, next: str = "", once: bool = False) -> dict:  # noqa: A002
    """The learner's follow-up choices with a link to change them (``once``: only the first
    time on the page, e.g. under each completed programme of "My learning")."""
    if once:
        if context.render_context.get("outcome_consent_box_shown"):
            return {"hidden": True}
        context.render_context["outcome_consent_box_shown"] = True
    return {"consent": _consent(context), "next": next, "show_mine": True,
            "request": context.get("request")}
