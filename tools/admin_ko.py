"""List the admin's English that the Korean catalogues in effect leave untranslated.

Wagtail's own Korean (Transifex) lags behind its English source catalogues, so a Korean
instructor meets English in the admin. The project fills the gap in its own catalogue,
``lms/admin_ko/locale/ko/LC_MESSAGES/django.po`` (and ``djangojs.po`` for the admin's
JavaScript), listed second in ``LOCALE_PATHS``: Django reads ``LOCALE_PATHS`` before the
installed apps, so these entries override Wagtail's, and ``makemessages`` never writes there
(no source file lives under ``lms/admin_ko/``).

After upgrading Wagtail (or Django)::

    .venv/bin/python tools/admin_ko.py            # what is missing, per catalogue
    .venv/bin/python tools/admin_ko.py --add      # append the missing entries (empty msgstr)

then fill the empty ``msgstr`` in ``lms/admin_ko/locale/ko/LC_MESSAGES/*.po`` (Korean has
one plural form: ``msgstr[0]`` only), drop entries Wagtail now translates itself
(``--prune``; entries whose translator comment starts with "correction" replace a wrong
Wagtail translation and are kept), and compile::

    DJANGO_DEBUG=1 .venv/bin/python manage.py compilemessages --ignore '.venv/*'

The English source of truth is each app's ``locale/en/LC_MESSAGES/*.po`` (Wagtail generates
them from its code at release). ``--add`` and ``--prune`` need ``polib``
(``.venv/bin/pip install polib``; a tool dependency, not the project's); the listing does not.
``tests/core/test_admin_korean.py`` fails while anything is missing.
"""

import argparse
import ast
import importlib
import os
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
OVERRIDE = ROOT / "lms" / "admin_ko" / "locale" / "ko" / "LC_MESSAGES"
# The apps whose admin a Korean instructor or programme admin uses.
APPS = ("wagtail", "wagtail.admin", "wagtail.users", "wagtail.snippets", "wagtail.images",
        "wagtail.documents", "wagtail.search", "wagtail.sites", "wagtail.locales",
        "wagtail.embeds", "wagtail.contrib.simple_translation", "django.contrib.admin",
        "django.contrib.auth")


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def _app_dir(app: str) -> Path:
    return Path(importlib.import_module(app).__file__).parent


def _key(entry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


class Entry(NamedTuple):
    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    flags: tuple[str, ...]


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (enough of the format for Wagtail's English catalogues;
    the listing needs no third-party package)."""
    entries, fields, flags, current = [], {}, (), None

    def flush():
        nonlocal fields, flags
        if fields.get("msgid"):
            entries.append(Entry(fields.get("msgctxt"), fields["msgid"],
                                 fields.get("msgid_plural"), flags))
        fields, flags = {}, ()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~"):
            continue  # obsolete
        if line.startswith("#,"):
            flags = tuple(f.strip() for f in line[2:].split(","))
        elif line.startswith(("msgctxt ", "msgid ")) and current in (None, "msgstr"):
            flush()
        if line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
            current, _, value = line.partition(" ")
            current = "msgstr" if current.startswith("msgstr") else current
            fields[current] = fields.get(current, "") + ast.literal_eval(value)
        elif line.startswith('"') and current:
            fields[current] += ast.literal_eval(line)
        elif not line.strip():
            current = current and "msgstr"
    flush()
    return entries


def missing(domain: str) -> list[tuple[str, Entry]]:
    """(app, entry) for each English msgid that the Korean catalogue in effect lacks."""
    from django.utils.translation import trans_real

    app_dirs = {app: _app_dir(app) for app in APPS}
    if domain == "django":
        catalog = trans_real.translation("ko")._catalog
    else:  # what Wagtail's admin JavaScriptCatalog view serves
        catalog = trans_real.DjangoTranslation(
            "ko", domain=domain,
            localedirs=[str(app_dirs["wagtail.admin"] / "locale")])._catalog
    found, seen = [], set()
    for app, path in app_dirs.items():
        source = path / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"
        if not source.exists() or (domain == "djangojs" and app != "wagtail.admin"):
            continue
        for entry in read_po(source):
            key = _key(entry)
            if key in seen:
                continue
            seen.add(key)
            present = (key, 0) in catalog if entry.msgid_plural else key in catalog
            if not present:
                found.append((app, entry))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--add", action="store_true",
                        help="append the missing entries, untranslated, to the override")
    parser.add_argument("--prune", action="store_true",
                        help="drop override entries Wagtail's own catalogues now translate")
    args = parser.parse_args()
    _setup()

    total = 0
    for domain in ("django", "djangojs"):
        gaps = missing(domain)
        total += len(gaps)
        for app, entry in gaps:
            ctxt = f" [{entry.msgctxt}]" if entry.msgctxt else ""
            print(f"{domain}\t{app}\t{entry.msgid!r}{ctxt}")
        path = OVERRIDE / f"{domain}.po"
        if args.add and gaps:
            import polib  # only for writing the catalogue

            po = polib.pofile(str(path))
            for _app, entry in gaps:
                po.append(polib.POEntry(
                    msgctxt=entry.msgctxt, msgid=entry.msgid, msgid_plural=entry.msgid_plural,
                    msgstr="", msgstr_plural={0: ""} if entry.msgid_plural else {},
                    flags=[f for f in entry.flags if f and f != "fuzzy"],
                    comment=f"{app}"))
            po.save()
        if args.prune:
            _prune(path, domain)
    print(f"{total} untranslated", file=sys.stderr)
    return 0


def _prune(path: Path, domain: str) -> None:
    """Remove override entries that the installed catalogues translate on their own."""
    import gettext

    import polib

    catalog = {}
    for app in APPS:
        try:
            catalog.update(gettext.translation(domain, str(_app_dir(app) / "locale"),
                                               ["ko"])._catalog)
        except OSError:  # no Korean catalogue for this app and domain
            pass
    po = polib.pofile(str(path))
    for entry in list(po):
        if entry.tcomment.startswith("correction"):
            continue  # Wagtail translates it, wrongly: the override stays
        key = _key(entry)
        if catalog.get((key, 0) if entry.msgid_plural else key):
            po.remove(entry)
    po.save()


if __name__ == "__main__":
    raise SystemExit(main())
