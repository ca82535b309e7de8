"""A Korean instructor of the demo programme walks Wagtail's admin and meets no English:
dashboard, the page explorer (its React menu too) and listing of the programme, page search,
the assignments snippet listing and an assignment's edit page.

The English below is what these pages showed before the project's Korean for the admin
(lms/admin_ko, see tools/admin_ko.py); the general check catches new English sentences.
Names and data (page titles of the English tree, assignment keys, e-mail addresses, the
workflow's bilingual name) are English on purpose and are left out.
"""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from wagtail.models import Page, Site, Workflow

from courses.models import ProgrammePage
from grading.models import Assignment
from lms.accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Seen on these pages in English, before the fix.
ENGLISH = (
    "Edit account avatar", "new items in this menu", "Delete selected snippets",
    "No publishing schedule set", "This data explained", "Side panel width",
    "Preview in new tab", "created in", "Actions",
    "Pages", "Search all pages", "Search options", "Filter by", "Sort by", "Has child pages",
    "Page type", "Edited by", "Date updated", "Show filters", "Locked by", "Keyboard shortcut",
    "Toggle", "Side panel", "Saved", "Autosave", "Preview", "Content metrics", "Reading time",
    "Readability", "Checks", "Schedule", "publishing schedule", "Go-live", "Expiry",
    "Status:", "Locale:", "Locking:", "Available in", "Anyone can edit", "Referenced",
    "across entire site", "Search the whole site", "Search in", "More options for",
    "Select all", "More bulk actions", "snippet type", "Instances", "Loading", "Refreshing",
    "Currently viewing", "View latest version", "A network error occurred", "Compare",
    "Choose who can view", "Privacy and access", "Bulk actions", "More actions",
    "AI Micro-degree",
)
# Three or more English words in a row: a sentence or a label, not a name or a key.
WORDS = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ ,:…-]+[A-Za-z][A-Za-z'’]*){2,}")

TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const element = node.parentElement;
    if (!text || !element || element.closest('script, style, template, noscript')) continue;
    const style = getComputedStyle(element);
    if (!element.getClientRects().length || style.visibility === 'hidden') continue;
    out.push(text);
  }
  for (const element of document.querySelectorAll('input[placeholder], [aria-label]')) {
    if (!element.getClientRects().length) continue;
    out.push(element.getAttribute('placeholder') || element.getAttribute('aria-label'));
  }
  return out;
}"""


def _data() -> list[str]:
    """Names and data the demo shows as they are."""
    names = list(Page.objects.values_list("title", flat=True))
    names += list(Assignment.objects.values_list("title", flat=True))
    names += list(Workflow.objects.values_list("name", flat=True))
    names += list(User.objects.values_list("email", flat=True))
    names += list(Site.objects.values_list("site_name", flat=True))
    return names


def _english(texts: list[str], data: list[str]) -> list[str]:
    """English words and phrases left in ``texts`` once the names and data are taken out
    (longest first, so a programme's title goes whole before the site's name inside it)."""
    names = sorted({name for name in data if len(name) > 3}, key=len, reverse=True)
    found = []
    for text in texts:
        rest = text
        for name in names:
            rest = rest.replace(name, " ")
        found += [word for word in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(word)}",
                                                         rest)]
        found += WORDS.findall(rest)
    return found


def test_a_korean_instructor_meets_no_english_in_the_admin(page, live_server, shoot):
    call_command("seed_demo", "--without-release", stdout=io.StringIO())
    instructor = User.objects.get(email="instructor@aimd.example")
    programme = ProgrammePage.objects.get(locale__language_code="ko", slug="industrial-ai")
    assignment = Assignment.objects.order_by("pk").first()
    client = Client()
    client.force_login(instructor)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    data = _data()
    screens = {
        "dashboard": "/admin/",
        "explorer": f"/admin/pages/{programme.pk}/",
        "search": "/admin/pages/search/?q=%EC%84%BC%EC%84%9C",  # 센서
        "snippets": "/admin/snippets/grading/assignment/",
        "assignment": f"/admin/snippets/grading/assignment/edit/{assignment.pk}/",
        "page-edit": f"/admin/pages/{programme.get_children().first().pk}/edit/",
    }
    english = {}
    for name, path in screens.items():
        response = page.goto(path)
        assert response.status == 200, f"{path} answered {response.status}"
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "ko"
        shoot(page, name)
        english[name] = _english(page.evaluate(TEXTS), data)
        if name == "dashboard":
            # The sidebar's page explorer is React, translated by the admin's JS catalogue.
            page.locator(".sidebar-menu-item button", has_text="페이지").first.click()
            page.locator(".c-page-explorer").wait_for()
            page.locator(".c-page-explorer__item").first.wait_for()
            page.wait_for_load_state("networkidle")
            shoot(page, "sidebar-explorer")
            # What the explorer lists are pages (their titles, in any language): data.
            titles = page.locator(".c-page-explorer__item__title").all_inner_texts()
            english["sidebar-explorer"] = _english(page.evaluate(TEXTS),
                                                   data + [t.strip() for t in titles])
        if name == "page-edit":
            # The side panels: status, content checks, preview.
            for panel in ("status", "checks", "preview"):
                toggle = page.locator(f'[data-side-panel-toggle="{panel}"]')
                if toggle.count():
                    toggle.first.click()
                    page.wait_for_timeout(1500)
                    shoot(page, f"panel-{panel}")
                    english[f"panel-{panel}"] = _english(page.evaluate(TEXTS), data)

    offending = {name: sorted(set(found)) for name, found in english.items() if found}
    assert not offending, "English in the Korean admin:\n" + "\n".join(
        f"  {name}: {found}" for name, found in offending.items())
