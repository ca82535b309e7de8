"""The whole journey, end to end, with every real part: PostgreSQL, Chromium (Playwright), a
JupyterHub on loopback with a learner's JupyterLab, a Celery worker on Redis grading in the
sandbox. Nothing is mocked; screens are in Korean.

1. A new learner signs up, confirms the email address, fills in the profile, enrols in the
   demo micro-degree (seeded with its assignments released) and reads a module.
2. In the JupyterLab opened from a module page, they write the answers into the notebook and
   save it; back on the module page they submit from the lab and see the grade arrive.
3. They complete the other modules and submit the other two assignments (uploads).
4. The worker's last grade issues the certificate: My learning shows it, the PDF bears the
   learner's name, the public verification page says it is valid.
5. The ministry's officer sees the certified count go up by one on the dashboard and in the
   XLSX download.

Screenshots of each step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import re

import nbformat
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from courses.models import ModulePage, ModuleProgress, ProgrammePage
from grading.autograder.notebooks import grade_id, is_solution
from grading.demo import DEMO_ASSIGNMENTS, source_path
from grading.models import Assignment, Grade
from lms.certificates.models import Certificate
from lms.core.demo import DEMO_PASSWORD
from tests.browser.steps import NewLearner, complete_reading, enrol, sign_up, submit_form
from tests.grading.test_worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NAME = "윤서진"
EMAIL = "seojin.yoon@example.com"
PASSWORD = "amber-lathe-signal-2026"
OFFICER = "ministry@aimd.example"  # the demo's ministry officer
LAB_ASSIGNMENT = "sensor-spc"  # done in JupyterLab; the others are uploaded
GRADE_TIMEOUT = 180  # seconds: three sandboxed grades, one after the other, on a busy machine


# --- The demo's right answers --------------------------------------------------------------


def _answer(source: str) -> str:
    """An instructor's solution cell with the solution markers removed: a right answer."""
    return "\n".join(line for line in source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def _released_and_answers(assignment: Assignment) -> tuple[nbformat.NotebookNode, dict[int, str]]:
    """The notebook the learner gets, and the right answer of each of its code cells to
    fill in, by the cell's position."""
    source = nbformat.reads(source_path(assignment.key).read_text(encoding="utf-8"),
                            as_version=4)
    solutions = {grade_id(cell): _answer(cell.source) for cell in source.cells
                 if is_solution(cell) and cell.cell_type == "code"}
    with assignment.released.open("rb") as stream:
        released = nbformat.reads(stream.read().decode(), as_version=4)
    answers = {index: solutions[grade_id(cell)] for index, cell in enumerate(released.cells)
               if is_solution(cell) and cell.cell_type == "code"}
    assert answers, f"{assignment.key} has no code to write"
    return released, answers


def _answered_notebook(assignment: Assignment) -> bytes:
    released, answers = _released_and_answers(assignment)
    for index, text in answers.items():
        released.cells[index].source = text
    return nbformat.writes(released).encode()


# --- Browser steps -------------------------------------------------------------------------


def _mark_complete(page, module: ModulePage) -> None:
    """The module's "Mark as complete" form, posted with the browser's session and the
    token of the page it is on (the form itself is clicked in step 1)."""
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    with translation.override("ko"):
        url = reverse("courses:module_complete", args=[module.pk])
    response = page.request.post(url, form={"csrfmiddlewaretoken": token}, max_redirects=0)
    assert response.status == 302
    assert response.headers["location"] != module.url  # refused: back to the module page


def _write_in_jupyterlab(page, shoot, assignment: Assignment) -> None:
    """Open the lab from the module page, type the answers into the notebook, save it."""
    released, answers = _released_and_answers(assignment)
    page.goto(assignment.module.url)
    shoot(page, "lab-module")
    page.get_by_role("button", name="JupyterLab에서 열기").click()
    page.wait_for_url("**/lab/tree/**", timeout=120_000)
    # Cells out of sight are not rendered (content-visibility), so nothing here waits for
    # visibility: the notebook has all its cells, the first task its stub.
    cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(released.cells), timeout=120_000)
    first = min(answers)
    expect(cells.nth(first).locator(".cm-content")).to_contain_text("NotImplementedError")
    shoot(page, "lab-opened")

    tab = page.locator("li.lm-TabBar-tab", has_text=f"{assignment.key}.ipynb")
    for index, text in answers.items():
        cell = cells.nth(index)
        cell.scroll_into_view_if_needed()
        editor = cell.locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        # Inserted as typed text in one go: typing key by key would let the editor
        # auto-indent every new line a second time.
        page.keyboard.insert_text(text)
        expect(editor).not_to_contain_text("NotImplementedError")
        expect(editor).to_contain_text(text.strip().split("\n")[0])
    expect(tab).to_have_class(re.compile(r"\bjp-mod-dirty\b"))
    shoot(page, "lab-answered")

    page.keyboard.press("Control+s")
    expect(tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"), timeout=30_000)
    shoot(page, "lab-saved")


def _submit_from_the_lab(page, shoot, assignment: Assignment) -> None:
    """Back on the module page: submit from the lab; the grade appears without a reload."""
    page.goto(assignment.module.url)
    page.get_by_role("button", name="내 랩에서 제출하기").click()
    page.wait_for_load_state()
    assert "SHA-256" in page.locator("main").inner_text()
    page.evaluate("window.__notReloaded = true")
    shoot(page, "lab-submitted")

    score = page.locator(".assignment__score strong")
    score.wait_for(timeout=GRADE_TIMEOUT * 1000)
    assert score.inner_text() == "8"  # every autograded point; the written answer waits
    assert page.evaluate("window.__notReloaded === true")
    assert page.get_by_role("link", name="피드백 보기").count() == 1
    shoot(page, "lab-graded")


def _upload(page, assignment: Assignment, tmp_path) -> None:
    notebook = tmp_path / f"{assignment.key}.ipynb"
    notebook.write_bytes(_answered_notebook(assignment))
    page.goto(assignment.module.url)
    page.set_input_files("input[name=notebook]", str(notebook))
    page.locator("form.assignment__submit button[type=submit]").click()
    page.wait_for_load_state()
    assert "SHA-256" in page.locator("main").inner_text()


def _officer_signs_in(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ko-KR",
                                  timezone_id="Asia/Seoul", viewport={"width": 1280,
                                                                      "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/ko/accounts/login/")
    page.fill("input[name=login]", OFFICER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    submit_form(page)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return context, page


def _certified_on_dashboard(page) -> int:
    page.goto("/ko/reports/")
    return int(page.locator(".report-target").get_attribute("data-certified"))


def _grades() -> dict[str, tuple[str, int]]:
    return {g.submission.assignment.key: (g.status, g.auto_score) for g in Grade.objects
            .filter(submission__learner__email=EMAIL).select_related("submission__assignment")}


# --- The journey ---------------------------------------------------------------------------


def test_a_new_learner_earns_the_certificate_and_the_ministry_counts_it(
        lab, browser, page, shoot, live_server, grading_worker, tmp_path):
    # Given the demo, seeded with its assignments released (the release check grades each in
    # the sandbox), and the ministry's officer looking at this year's dashboard.
    call_command("seed_demo", stdout=io.StringIO())
    assignments = {a.key: a for a in Assignment.objects.select_related("module")}
    assert sorted(assignments) == sorted(DEMO_ASSIGNMENTS)
    for assignment in assignments.values():
        assert assignment.is_released, (assignment.key, assignment.release_report)
    programme = ProgrammePage.objects.get(locale__language_code="ko", slug="industrial-ai")
    modules = list(ModulePage.objects.live().descendant_of(programme).order_by("path"))
    readings = [m for m in modules if m.is_reading]
    assert len(readings) == len(modules) - len(assignments)
    officer_context, officer = _officer_signs_in(browser, live_server)
    certified_before = _certified_on_dashboard(officer)
    shoot(officer, "dashboard-before")

    # 1. Sign-up, profile, enrolment, a module read.
    sign_up(page, shoot, NewLearner(name=NAME, email=EMAIL, password=PASSWORD,
                                    birth_year=1999, region="daegu"))
    enrol(page, shoot, programme)
    complete_reading(page, readings[0])
    shoot(page, "module-completed")

    # 2. The lab: answers written in JupyterLab, submitted from the module page, graded.
    lab_assignment = assignments[LAB_ASSIGNMENT]
    _write_in_jupyterlab(page, shoot, lab_assignment)
    _submit_from_the_lab(page, shoot, lab_assignment)

    # 3. The rest, through the same requests as the pages' forms: the other modules read (in
    # order: two courses unlock module by module), the other assignments uploaded.
    for module in readings[1:]:
        _mark_complete(page, module)
    assert ModuleProgress.objects.filter(
        learner__email=EMAIL, completed_at__isnull=False,
        module_key__in=[m.translation_key for m in readings]).count() == len(readings)
    for key, assignment in assignments.items():
        if key != LAB_ASSIGNMENT:
            _upload(page, assignment, tmp_path)
    shoot(page, "last-upload")
    try:
        certificate = wait_for(lambda: Certificate.objects.filter(
            enrolment__learner__email=EMAIL).first(), timeout=GRADE_TIMEOUT,
            what="the certificate")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the grades: {_grades()}") from None
    assert _grades() == dict.fromkeys(DEMO_ASSIGNMENTS, ("graded", 8))

    # 4. The certificate: on My learning, as a PDF with the learner's name, verified.
    page.goto("/ko/learning/")
    box = page.locator(".certificate-box")
    assert certificate.serial in box.inner_text()
    shoot(page, "my-learning-certificate")
    with page.expect_download() as download_info:
        box.get_by_role("link", name="수료증 내려받기(PDF)").click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert NAME in text
    assert certificate.serial in text

    box.get_by_role("link", name="검증 페이지(이 주소를 공유하세요)").click()
    page.wait_for_url(f"**/verify/{certificate.code}/")
    assert page.locator(".verify__state[data-state=valid]").count() == 1
    assert certificate.serial in page.locator("main").inner_text()
    shoot(page, "verified")

    # 5. The ministry: one more certified learner, on the page and in the workbook.
    assert _certified_on_dashboard(officer) == certified_before + 1
    shoot(officer, "dashboard-after")
    with officer.expect_download() as download_info:
        officer.locator("a[data-export=xlsx]").click()
    workbook_path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(workbook_path)
    rows = list(load_workbook(workbook_path, read_only=True).worksheets[0]
                .iter_rows(values_only=True))
    header, values = rows[0], rows[1]
    assert header[0] == "연도"
    assert values[0] == certificate.enrolment.run.year
    assert values[header.index("수료증 발급")] == certified_before + 1  # "Certified"
    officer_context.close()
