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
(``--prune``), and compile::

    DJANGO_DEBUG=1 .venv/bin/python manage.py compilemessages --ignore '.venv/*'

The English source of truth is each app's ``locale/en/LC_MESSAGES/*.po`` (Wagtail generates
them from its code at release). Needs ``polib`` (``.venv/bin/pip install polib``; a tool
dependency, not the project's).
"""

import argparse
import importlib
import os
import sys
from pathlib import Path

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


def missing(domain: str) -> list[tuple[str, object]]:
    """(app, polib entry) for each English msgid the Korean catalogue in effect lacks."""
    import polib
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
        for entry in polib.pofile(str(source)):
            key = _key(entry)
            if entry.obsolete or key in seen:
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
    import polib

    total = 0
    for domain in ("django", "djangojs"):
        gaps = missing(domain)
        total += len(gaps)
        for app, entry in gaps:
            ctxt = f" [{entry.msgctxt}]" if entry.msgctxt else ""
            print(f"{domain}\t{app}\t{entry.msgid!r}{ctxt}")
        path = OVERRIDE / f"{domain}.po"
        if args.add and gaps:
            po = polib.pofile(str(path))
            for _app, entry in gaps:
                po.append(polib.POEntry(
                    msgctxt=entry.msgctxt, msgid=entry.msgid, msgid_plural=entry.msgid_plural,
                    msgstr="", msgstr_plural={0: ""} if entry.msgid_plural else {},
                    flags=[f for f in entry.flags if f != "fuzzy"],
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
        key = _key(entry)
        if catalog.get((key, 0) if entry.msgid_plural else key):
            po.remove(entry)
    po.save()


if __name__ == "__main__":
    raise SystemExit(main())
