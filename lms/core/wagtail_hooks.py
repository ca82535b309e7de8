"""The admin's dashboard in the reader's language.

Wagtail names the site on the dashboard (its heading, and the screen-reader text of the
"34 pages" summary) with ``WAGTAIL_SITE_NAME``, which stays one plain string because the
certificates sign it as their issuer's name. The default name is in the catalogue, so it is
translated where the dashboard shows it: the heading in ``wagtailadmin/home.html``, the
summary items here.
"""

from django.utils.translation import gettext
from wagtail import hooks


def _site_name_translated(get_context_data):
    def wrapped(parent_context):
        context = get_context_data(parent_context)
        if context.get("site_name"):
            context["site_name"] = gettext(context["site_name"])
        return context

    return wrapped


# order: after Wagtail's images and documents apps have added their items.
@hooks.register("construct_homepage_summary_items", order=100)
def summary_items_site_name_translate(request, items):
    for item in items:
        item.get_context_data = _site_name_translated(item.get_context_data)
