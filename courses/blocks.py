"""StreamField blocks of a module's body."""

from django.utils.translation import gettext_lazy as _
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "code", "document-link"]


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "courses/blocks/heading.html"
        label = _("Heading")


class CodeBlock(blocks.StructBlock):
    """Source code, highlighted on the server (no JavaScript, no CDN)."""

    language = blocks.ChoiceBlock(
        choices=[("python", "Python"), ("bash", "Shell"), ("sql", "SQL"), ("text", _("Text"))],
        default="python",
        label=_("Language"),
    )
    code = blocks.TextBlock(label=_("Code"))

    class Meta:
        icon = "code"
        template = "courses/blocks/code.html"
        label = _("Code")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        try:
            lexer = get_lexer_by_name(value["language"])
        except ClassNotFound:
            lexer = get_lexer_by_name("text")
        context["highlighted"] = highlight(value["code"], lexer, _formatter())
        return context


def _formatter() -> HtmlFormatter:
    return HtmlFormatter(cssclass="highlight", nowrap=False)


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        choices=[("tip", _("Tip")), ("note", _("Note")), ("warning", _("Warning"))],
        default="note",
        label=_("Kind"),
    )
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Text"))

    class Meta:
        icon = "help"
        template = "courses/blocks/callout.html"
        label = _("Callout")


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt_text = blocks.CharBlock(label=_("Alternative text"),
                                help_text=_("What the image shows, for screen readers."))
    caption = blocks.CharBlock(required=False, label=_("Caption"))

    class Meta:
        icon = "image"
        template = "courses/blocks/figure.html"
        label = _("Image")


class DownloadBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("File"))
    description = blocks.CharBlock(required=False, label=_("Description"))

    class Meta:
        icon = "download"
        template = "courses/blocks/download.html"
        label = _("Downloadable file")


class NotebookAssignmentBlock(blocks.StructBlock):
    """Places a notebook assignment in a module.

    The assignment is named by its key (a slug); the grading app owns assignments and looks
    them up by that key, so courses never import grading. A module with this block is
    completed by its assignment, not by "mark as complete".
    """

    assignment_key = blocks.RegexBlock(
        regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        error_messages={"invalid": _("Use lowercase letters, digits and hyphens.")},
        label=_("Assignment key"),
    )
    title = blocks.CharBlock(label=_("Title"))
    instructions = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, required=False,
                                        label=_("Instructions"))

    class Meta:
        icon = "doc-full"
        template = "courses/blocks/notebook_assignment.html"
        label = _("Notebook assignment")


class ModuleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Text"),
                                     template="courses/blocks/paragraph.html")
    heading = HeadingBlock()
    code = CodeBlock()
    callout = CalloutBlock()
    image = FigureBlock()
    video = EmbedBlock(label=_("Video"), template="courses/blocks/video.html")
    download = DownloadBlock()
    notebook_assignment = NotebookAssignmentBlock()
