"""Notebook markdown rendered as JupyterLab renders it, so that the site shows what learners saw.

JupyterLab renders markdown cells with marked in GitHub Flavored Markdown mode. Two of its rules
surprise authors, Korean ones most:

- strikethrough is a pair of *one or two* tildes (``01~03 ... 08:00~19:59`` strikes out
  ``03 ... 08:00``); nbconvert's mistune set-up knows only ``~~``, so the site used to show the
  text intact where the lab struck it out. ``strikethrough`` below is marked's rule;
- emphasis follows CommonMark's flanking rules: a closing ``**`` after a space, or after
  punctuation and directly before a letter (``**코드 `-999`**를``), closes nothing, and the
  asterisks are shown. mistune 3 already follows these rules, as marked does.

``notebook_markdown_html`` is what the feedback page renders the instructor's cells with, and
what ``markdown_problems`` lints shipped notebooks with (stray strikethrough, unparsed ``**``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath, import_plugin

if TYPE_CHECKING:
    from re import Match

    from mistune import InlineParser, InlineState, Markdown

# marked's GFM ``del`` rule: one or two tildes, no space just inside them, the same number
# closing, backslash escapes honoured (``\~`` is a literal tilde in marked and here).
_STRIKETHROUGH = re.compile(
    r"(~~?)(?=[^\s~])((?:\\[\s\S]|[^\\])*?(?:\\[\s\S]|[^\s~\\]))\1(?=[^~]|$)")


def _parse_strikethrough(inline: InlineParser, m: Match[str], state: InlineState) -> int | None:
    if state.depth >= inline.max_nested_level:
        return None
    match = _STRIKETHROUGH.match(state.src, m.start())
    if match is None:
        return None
    new_state = state.copy()
    new_state.src = match.group(2)
    state.append_token({"type": "strikethrough", "children": inline.render(new_state)})
    return match.end()


def _render_strikethrough(renderer, text: str) -> str:
    return "<del>" + text + "</del>"


def strikethrough(md: Markdown) -> None:
    """A mistune plugin: GFM strikethrough with one or two tildes, as JupyterLab's marked."""
    md.inline.register("strikethrough", r"~~?(?=[^\s~])", _parse_strikethrough, before="link")
    if md.renderer and md.renderer.NAME == "html":
        md.renderer.register("strikethrough", _render_strikethrough)


_PLUGINS = tuple(name for name in MarkdownWithMath.DEFAULT_PLUGINS if name != "strikethrough")


def notebook_markdown_html(source: str) -> str:
    """A markdown cell's source as HTML, with nbconvert's plugins and marked's strikethrough."""
    plugins = [import_plugin(name) for name in _PLUGINS] + [strikethrough]
    return MarkdownWithMath(renderer=IPythonRenderer(escape=False), plugins=plugins).render(source)


class _Text(HTMLParser):
    """The HTML's tags and its text outside ``code`` and ``pre`` (where ``**`` is code)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []
        self._code = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._code += tag in ("code", "pre")

    def handle_endtag(self, tag):
        self._code -= tag in ("code", "pre") and self._code > 0

    def handle_data(self, data):
        if not self._code:
            self.text.append(data)


def html_problems(html: str) -> list[str]:
    """What a reader would see wrongly in rendered text: struck-out or literal markup."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.text)
    problems = [f"struck-through text (<{tag}>)" for tag in ("del", "s", "strike")
                if tag in parser.tags]
    for marker in ("**", "__", "~~"):
        for found in re.finditer(re.escape(marker), text):
            around = text[max(0, found.start() - 20):found.end() + 20].replace("\n", " ")
            problems.append(f"literal {marker} in “{around}”")
    return problems


def markdown_problems(source: str) -> list[str]:
    """``html_problems`` of a markdown cell as JupyterLab (and the site) renders it."""
    return html_problems(notebook_markdown_html(source))
