"""``{% may_enter_admin as show_admin %}``: the account menu's link to the admin."""

from django import template

from lms.accounts.selectors import user_may_enter_admin

register = template.Library()


@register.simple_tag(takes_context=True)
def may_enter_admin(context) -> bool:
    request = context.get("request")
    return bool(request and user_may_enter_admin(user=request.user))
