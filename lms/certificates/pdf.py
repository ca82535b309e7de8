"""The certificate as a PDF: one A4 landscape page, Korean first and English under it.

What it shows is the certificate row as issued (holder, programme, hours, date, serial) and a QR
code of the public verification address, printed under the code as well, so that anyone holding
the paper can check that it is genuine and not revoked.

The labels are gettext messages rendered twice, once in Korean and once in English, whatever
the learner's language: the certificate is the same document for everyone. Hangul needs a
TrueType font with its glyphs (``settings.CERTIFICATE_FONT_FILES``, by default Debian's
fonts-nanum); reportlab embeds the subset of glyphs used, so the file reads the same on every
machine. A missing or unusable font file raises :class:`CertificateFontUnavailable`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from lms.certificates.models import Certificate

SEOUL = ZoneInfo("Asia/Seoul")  # certificates are dated in Korea, wherever the server runs
PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
INK = HexColor("#1f2937")
MUTED = HexColor("#4b5563")
ACCENT = HexColor("#1d4ed8")
MIN_SIZE = 8  # points: the smallest a long name or title is set in


class CertificateFontUnavailable(Exception):
    """A font file of ``CERTIFICATE_FONT_FILES`` is missing or is not a usable TrueType font."""


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str


_registered: dict[str, str] = {}  # font file path → the name it is registered under
_register_lock = threading.Lock()


def _font_register(path: str) -> str:
    """Register a TrueType file with reportlab once per process; return its font name."""
    with _register_lock:
        name = _registered.get(path)
        if name is not None:
            return name
        if not Path(path).is_file():
            raise CertificateFontUnavailable(_(
                "The font file %(path)s for certificates is missing. Install the fonts-nanum "
                "package or set LMS_CERTIFICATE_FONT_REGULAR and LMS_CERTIFICATE_FONT_BOLD "
                "to TrueType fonts with Hangul.") % {"path": path})
        # A name per file: another path (a changed setting) is another font, not a clash.
        name = "Certificate-" + hashlib.sha256(path.encode()).hexdigest()[:12]
        try:
            pdfmetrics.registerFont(TTFont(name, path))
        except (TTFError, OSError) as exc:
            raise CertificateFontUnavailable(_(
                "The font file %(path)s for certificates cannot be used (%(reason)s); it must "
                "be a TrueType font with Hangul.") % {"path": path, "reason": exc}) from exc
        _registered[path] = name
        return name


def _fonts() -> _Fonts:
    files = settings.CERTIFICATE_FONT_FILES
    return _Fonts(regular=_font_register(str(files["regular"])),
                  bold=_font_register(str(files["bold"])))


def certificate_verification_url(*, certificate: Certificate) -> str:
    """The absolute address of the certificate's public verification page."""
    return (settings.WAGTAILADMIN_BASE_URL.rstrip("/")
            + reverse("certificate_verify", args=[certificate.code]))


def certificate_qr_drawing(*, url: str, size: float) -> Drawing:
    """A square QR code of ``url``, ``size`` points wide (error correction M: survives a
    crease or a stain on the printed page)."""
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0,
                                             size / (top - bottom), 0, 0])
    drawing.add(widget)
    return drawing


@dataclass(frozen=True)
class _Labels:
    """The certificate's words in one language."""

    title: str
    name: str
    programme: str
    hours_label: str
    hours: str
    issued_label: str
    issued: str
    statement: str
    serial: str
    verify: str


def _labels(language: str, *, certificate: Certificate, day: dt.date) -> _Labels:
    with translation.override(language):
        return _Labels(
            title=_("Certificate of Completion"),
            name=_("Name"),
            programme=_("Programme"),
            hours_label=_("Hours"),
            hours=ngettext("%(hours)s hour", "%(hours)s hours", certificate.hours)
            % {"hours": certificate.hours},
            issued_label=_("Issued on"),
            # Korean: 2026년 11월 27일 (the locale's date format); English: 27 November 2026.
            issued=(formats.date_format(day, "DATE_FORMAT") if language == "ko"
                    else dateformat.format(day, "j F Y")),
            statement=_("This certifies that the person named above has completed the "
                        "programme and its requirements on this platform."),
            serial=_("Serial number"),
            verify=_("Verify this certificate"),
        )


def _site_name(language: str) -> str:
    with translation.override(language):
        return settings.LMS_SITE_NAME or _("AI Micro-degree")


def certificate_issuer() -> str:
    """Who issues the certificate, as the PDF names it (the site, in both languages)."""
    korean, english = _site_name("ko"), _site_name("en")
    return korean if korean == english else f"{korean} / {english}"


class _Page:
    """Drawing helpers over a reportlab canvas (coordinates in points, origin bottom left)."""

    def __init__(self, canvas: Canvas, fonts: _Fonts) -> None:
        self.canvas, self.fonts = canvas, fonts

    def text(self, x: float, y: float, text: str, *, size: float, bold: bool = False,
             colour=INK, centre: bool = False) -> None:
        self.canvas.setFont(self.fonts.bold if bold else self.fonts.regular, size)
        self.canvas.setFillColor(colour)
        if centre:
            self.canvas.drawCentredString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def wrapped(self, x: float, y: float, text: str, *, size: float, width: float,
                bold: bool = False, colour=INK, max_lines: int = 0) -> float:
        """Draw ``text`` wrapped to ``width``, smaller when it would take more than
        ``max_lines`` lines (a long title stays clear of the bottom of the page); return the
        baseline below its last line."""
        font = self.fonts.bold if bold else self.fonts.regular
        while max_lines and size > MIN_SIZE and len(simpleSplit(text, font, size, width)) \
                > max_lines:
            size -= 1
        leading = size * 1.3
        for line in simpleSplit(text, font, size, width) or [""]:
            self.text(x, y, line, size=size, bold=bold, colour=colour)
            y -= leading
        return y


def certificate_pdf_render(*, certificate: Certificate) -> bytes:
    """The certificate as a one-page PDF (A4 landscape, Korean and English, with a QR code of
    its verification address). Raises :class:`CertificateFontUnavailable` without the fonts."""
    fonts = _fonts()
    day = timezone.localtime(certificate.issued_at, timezone=SEOUL).date()
    ko = _labels("ko", certificate=certificate, day=day)
    en = _labels("en", certificate=certificate, day=day)
    url = certificate_verification_url(certificate=certificate)
    issuer = certificate_issuer()

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    canvas.setTitle(f"{ko.title} / {en.title} · {certificate.serial}")
    canvas.setAuthor(issuer)
    canvas.setSubject(certificate.serial)
    canvas.setCreator(issuer)
    page = _Page(canvas, fonts)

    # A double frame, as on printed certificates.
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2.5)
    canvas.rect(22, 22, PAGE_WIDTH - 44, PAGE_HEIGHT - 44)
    canvas.setLineWidth(0.8)
    canvas.rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60)

    centre = PAGE_WIDTH / 2
    page.text(centre, PAGE_HEIGHT - 92, ko.title, size=34, bold=True, centre=True)
    page.text(centre, PAGE_HEIGHT - 118, en.title, size=16, bold=True, colour=MUTED,
              centre=True)

    # The facts: a label column (Korean over English) and a value column.
    label_x, value_x, value_width = 80, 215, 400
    y = PAGE_HEIGHT - 170

    def row(ko_label: str, en_label: str, values: list[tuple[str, float, bool]]) -> None:
        nonlocal y
        page.text(label_x, y, ko_label, size=11, colour=MUTED)
        page.text(label_x, y - 13, en_label, size=9, colour=MUTED)
        bottom = y
        for text, size, bold in values:
            bottom = page.wrapped(value_x, bottom, text, size=size, bold=bold,
                                  width=value_width, max_lines=2)
        y = min(bottom, y - 26) - 12

    row(ko.name, en.name, [(certificate.holder_name, 20, True)])
    programme = [(certificate.programme_title, 15, True)]
    if certificate.programme_title_en:
        programme.append((certificate.programme_title_en, 12, False))
    row(ko.programme, en.programme, programme)
    row(ko.hours_label, en.hours_label, [(ko.hours, 13, False), (en.hours, 11, False)])
    row(ko.issued_label, en.issued_label, [(ko.issued, 13, False), (en.issued, 11, False)])

    y = page.wrapped(label_x, y - 4, ko.statement, size=11, width=540)
    page.wrapped(label_x, y, en.statement, size=9, width=540, colour=MUTED)

    # Bottom left: the issuer and the serial number.
    page.text(label_x, 92, issuer, size=14, bold=True)
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.6)
    canvas.line(label_x, 86, label_x + 260, 86)
    page.text(label_x, 66, f"{ko.serial} / {en.serial}: {certificate.serial}", size=10,
              colour=MUTED)

    # Bottom right: the QR code of the verification page, its address under it.
    qr_size = 118
    qr_x, qr_y = PAGE_WIDTH - 80 - qr_size, 84
    renderPDF.draw(certificate_qr_drawing(url=url, size=qr_size), canvas, qr_x, qr_y)
    page.text(qr_x + qr_size / 2, qr_y + qr_size + 8,
              f"{ko.verify} / {en.verify}", size=9, colour=MUTED, centre=True)
    url_right = PAGE_WIDTH - 62
    for i, line in enumerate(simpleSplit(url, fonts.regular, 7, 250)):
        page.canvas.setFont(fonts.regular, 7)
        page.canvas.setFillColor(MUTED)
        page.canvas.drawRightString(url_right, qr_y - 10 - 9 * i, line)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
