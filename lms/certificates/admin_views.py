"""Admin views of certificates: the list (with "Revoke" for those who may) and revoking
with a reason (programme staff)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import MenuItem as ButtonMenuItem
from wagtail.snippets.views import snippets as snippet_views

from lms.certificates.models import Certificate
from lms.certificates.services import RevocationRefused, certificate_revoke


class CertificateIndexView(snippet_views.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.is_valid and self.request.user.has_perm("certificates.revoke_certificate"):
            buttons.append(ButtonMenuItem(
                _("Revoke"), icon_name="cross", priority=20,
                url=reverse("wagtailsnippets_certificates_certificate:revoke", args=[instance.pk])))
        return buttons


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for revoking"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("Kept with the certificate; the "
                                                    "verification page shows it is revoked."))


class CertificateRevokeView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "certificates/admin/certificate_revoke.html"
    page_title = gettext_lazy("Revoke certificate")
    header_icon = "cross"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("certificates.revoke_certificate"):
            return permission_denied(request, PermissionDenied())
        self.certificate = get_object_or_404(Certificate, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.certificate)

    def get_breadcrumbs_items(self):
        return [{"url": reverse("wagtailsnippets_certificates_certificate:list"),
                 "label": _("Certificates")}, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(certificate=self.certificate, form=kwargs.get("form") or RevokeForm())
        return context

    def post(self, request, *args, **kwargs):
        form = RevokeForm(request.POST)
        if form.is_valid():
            try:
                certificate_revoke(certificate=self.certificate,
                                   reason=form.cleaned_data["reason"], actor=request.user)
            except RevocationRefused as exc:
                form.add_error("reason", str(exc))
            else:
                messages.success(request, _("Certificate %(serial)s is revoked.")
                                 % {"serial": self.certificate.serial})
                return redirect(reverse("wagtailsnippets_certificates_certificate:list"))
        return self.render_to_response(self.get_context_data(form=form))
