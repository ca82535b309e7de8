from django import template

from lms.accounts.selectors import user_may_see_reports

register = template.Library()


@register.simple_tag(takes_context=True)
def may_see_reports(context) -> bool:
    request = context.get("request")
    return bool(request and user_may_see_reports(user=request.user))
