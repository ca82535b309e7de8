"""Account pages the platform adds to allauth's: the learner profile, and the login addresses
of the admins and of Wagtail's private pages.

There is one sign-in form, the site's (allauth), and so one throttle of failed logins, by
account and by client address, counted in the shared cache (``ACCOUNT_RATE_LIMITS``). The
Django admin's and the Wagtail admin's login pages, Wagtail's login page for private pages and
the OpenID Connect provider (whose ``/o/authorize/`` sends the anonymous to ``LOGIN_URL``) take
no password themselves: they send people on to the site's form with ``next``.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from lms.accounts.forms import ProfileForm
from lms.accounts.services import profile_ensure, profile_update


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            profile_update(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your profile has been saved."))
            next_url = request.POST.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("profile")
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(user=request.user))
    return render(request, "accounts/profile.html", {
        "form": form,
        "profile": profile,
        "next": request.GET.get("next", ""),
    })


def _safe_next(request: HttpRequest) -> str:
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def _to_the_site_login(request: HttpRequest, *, home: str,
                       may_enter: Callable[[HttpRequest], bool]) -> HttpResponse:
    """Anonymous people go on to the site's sign-in form (then to ``next``, or ``home``); a
    signed-in account that may enter goes straight to ``next``; any other signed-in account is
    told that it has no access, with a 403: sending it to the sign-in form, which sends
    signed-in people back to ``next``, would bounce between the two forever."""
    next_url = _safe_next(request)
    if not request.user.is_authenticated:
        return redirect_to_login(next_url or home, login_url=reverse("account_login"))
    if may_enter(request):
        return redirect(next_url or home)
    return render(request, "403.html", status=403)


@require_safe
def admin_login(request: HttpRequest) -> HttpResponse:
    """The Wagtail admin's login address: WAGTAILADMIN_LOGIN_URL, and /admin/login/ in place
    of Wagtail's own form."""
    return _to_the_site_login(
        request, home=reverse("wagtailadmin_home"),
        may_enter=lambda r: r.user.has_perm("wagtailadmin.access_admin"))


@require_safe
def django_admin_login(request: HttpRequest) -> HttpResponse:
    """/django-admin/login/ in place of the Django admin's own form."""
    return _to_the_site_login(request, home=reverse("admin:index"),
                              may_enter=admin.site.has_permission)


@require_safe
def page_login(request: HttpRequest) -> HttpResponse:
    """Wagtail's login address for private pages (/<lang>/_util/login/) in place of its own
    form. A signed-in account sent here is one the page does not admit."""
    return _to_the_site_login(request, home="/", may_enter=lambda r: False)
