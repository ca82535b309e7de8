"""The certificate box on "My learning"."""

from django import template

from lms.certificates.selectors import certificates_by_enrolment

register = template.Library()


@register.inclusion_tag("certificates/certificate_box.html", takes_context=True)
def certificate_box(context, enrolment) -> dict:
    """The learner's certificate for a run on "My learning" (nothing when there is none)."""
    # One query for the whole page, however many programmes the learner is in.
    cache = context.render_context.get("learner_certificates")
    if cache is None:
        cache = certificates_by_enrolment(learner=enrolment.learner_id)
        context.render_context["learner_certificates"] = cache
    return {"certificate": cache.get(enrolment.pk), "request": context.get("request")}
