"""The demo micro-degree: pages in Korean and English from ``courses/demo_content/programme.yaml``,
its data sets as documents, and one run per year from 2023 to 2026.

Idempotent: pages are found by slug and runs by number, and nothing that exists is changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Collection, Locale, Page

from courses.models import (
    CataloguePage,
    CourseInstructor,
    CoursePage,
    ModulePage,
    ProgrammePage,
    ProgrammeRun,
)

logger = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parent / "demo_content"
SEOUL = ZoneInfo("Asia/Seoul")

# (year, number, starts, ends, capacity): one run (회차) per year.
RUNS = [
    (2023, 1, date(2023, 3, 6), date(2023, 6, 30), 120),
    (2024, 2, date(2024, 3, 4), date(2024, 6, 28), 450),
    (2025, 3, date(2025, 3, 3), date(2025, 6, 27), 450),
    (2026, 4, date(2026, 9, 1), date(2027, 1, 29), 450),
]


@dataclass(frozen=True)
class DemoProgramme:
    ko: ProgrammePage
    en: ProgrammePage
    courses: list[CoursePage]


def load_content() -> dict:
    with (DEMO_DIR / "programme.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _datasets(node) -> set[str]:
    """The data sets the demo content's ``dataset`` blocks offer for download."""
    if isinstance(node, dict):
        found = {node["value"]} if node.get("type") == "dataset" else set()
        return found.union(*(_datasets(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_datasets(value) for value in node))
    return set()


def _documents(names: set[str] | None = None) -> dict[str, int]:
    """The data sets the modules offer (``names``; by default those the demo content places
    in its pages) as Wagtail documents in a "Demo data" collection, by file name. Only those:
    the data folder also holds an assignment's hidden data (held-out answers), which must
    never be a public document."""
    names = _datasets(load_content()) if names is None else names
    Document = get_document_model()
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name="Demo data").first()
    if collection is None:
        collection = root.add_child(name="Demo data")
    ids = {}
    for path in sorted((DEMO_DIR / "data").glob("*.csv")):
        if path.name not in names:
            continue
        document = Document.objects.filter(collection=collection, title=path.name).first()
        if document is None:
            with path.open("rb") as f:
                document = Document(title=path.name, collection=collection)
                document.file.save(path.name, File(f), save=False)
                document.save()
        ids[path.name] = document.pk
    return ids


def _body(blocks: list[dict], *, documents: dict[str, int], title: str) -> list[dict]:
    """The YAML's block list as StreamField data."""
    body = []
    for block in blocks:
        kind, value = block["type"], block["value"]
        if kind == "dataset":
            body.append({"type": "download",
                         "value": {"document": documents[value], "description": ""}})
        elif kind == "notebook_assignment":
            body.append({"type": "notebook_assignment",
                         "value": {"assignment_key": value, "title": title, "instructions": ""}})
        elif kind in ("paragraph", "heading"):
            body.append({"type": kind, "value": value.strip()})
        elif kind == "code":
            body.append({"type": "code", "value": {"language": value.get("language", "python"),
                                                   "code": value["code"].rstrip()}})
        elif kind == "callout":
            body.append({"type": "callout",
                         "value": {"kind": value["kind"], "text": value["text"].strip()}})
        else:
            raise ValueError(f"unknown block type in the demo content: {kind}")
    return body


def _child(parent: Page, model, slug: str):
    return model.objects.child_of(parent).filter(slug=slug).first()


def _create(parent: Page, instance: Page) -> Page:
    parent.add_child(instance=instance)
    instance.save_revision().publish()
    return instance


def _translate(page: Page, locale: Locale, fields: dict) -> Page:
    """The page's translation in ``locale``, created (and published) from ``fields`` if absent."""
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translation = page.copy_for_translation(locale, copy_parents=False)
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save_revision().publish()
    return translation


def _programme_fields(text: dict, hours: int) -> dict:
    outcomes = "".join(f"<li>{item}</li>" for item in text["learning_outcomes"])
    return {
        "title": text["title"],
        "summary": text["summary"].strip(),
        "audience": text["audience"].strip(),
        "total_hours": hours,
        "learning_outcomes": f"<ul>{outcomes}</ul>",
        "completion_rule": text["completion_rule"].strip(),
    }


@transaction.atomic
def demo_programme_seed(*, home_ko: CataloguePage, instructors=()) -> DemoProgramme:
    """Create the demo programme under the Korean home page and translate it to English."""
    content = load_content()
    en = Locale.objects.get(language_code="en")
    documents = _documents(_datasets(content))
    spec = content["programme"]

    programme = _child(home_ko, ProgrammePage, spec["slug"])
    if programme is None:
        programme = _create(home_ko, ProgrammePage(
            slug=spec["slug"], **_programme_fields(spec["ko"], spec["total_hours"])))
    programme_en = _translate(programme, en, _programme_fields(spec["en"], spec["total_hours"]))

    courses = []
    for index, course_spec in enumerate(content["courses"]):
        course = _child(programme, CoursePage, course_spec["slug"])
        if course is None:
            course = CoursePage(slug=course_spec["slug"], title=course_spec["ko"]["title"],
                                summary=course_spec["ko"]["summary"].strip(),
                                hours=course_spec["hours"], gated=course_spec["gated"])
            if instructors:
                # Spread the courses over the instructors: the first ones teach more.
                teacher = instructors[index * len(instructors) // len(content["courses"])]
                course.instructors.add(CourseInstructor(user=teacher))
            course = _create(programme, course)
        _translate(course, en, {"title": course_spec["en"]["title"],
                                "summary": course_spec["en"]["summary"].strip()})
        for module_spec in course_spec["modules"]:
            module = _child(course, ModulePage, module_spec["slug"])
            if module is None:
                ko = module_spec["ko"]
                module = _create(course, ModulePage(
                    slug=module_spec["slug"], title=ko["title"],
                    summary=ko["summary"].strip(), estimated_minutes=module_spec["minutes"],
                    body=_body(ko["body"], documents=documents, title=ko["title"])))
            english = module_spec["en"]
            _translate(module, en, {
                "title": english["title"], "summary": english["summary"].strip(),
                "body": _body(english["body"], documents=documents, title=english["title"]),
            })
        courses.append(course)
    _runs_seed(programme)
    return DemoProgramme(ko=programme, en=programme_en, courses=courses)


def _runs_seed(programme: ProgrammePage) -> None:
    """One run per year; the newest stays open for enrolment for a while whenever it is made."""
    now = timezone.now()
    for year, number, starts, ends, capacity in RUNS:
        if ProgrammeRun.objects.filter(programme=programme, number=number).exists():
            continue
        opens = datetime(starts.year, starts.month, 1, tzinfo=SEOUL) - timedelta(days=30)
        closes = datetime.combine(starts + timedelta(days=14), datetime.min.time(), SEOUL)
        if number == RUNS[-1][1]:
            closes = max(closes, now + timedelta(days=90))
            ends = max(ends, closes.date() + timedelta(days=90))
        ProgrammeRun.objects.create(
            programme=programme, number=number, year=year, starts_on=starts, ends_on=ends,
            enrolment_opens_at=opens, enrolment_closes_at=closes, capacity=capacity,
        )
