"""Account pages the platform adds to allauth's: the learner profile, and where the admin
sends people it does not let in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

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


@require_GET
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login address (WAGTAILADMIN_LOGIN_URL). Anonymous people go on to the
    sign-in page; a signed-in account without admin access (a learner, a ministry officer) is
    told so with a 403: sending it to the sign-in page, which sends signed-in people back to
    ``next``, would bounce between the two forever."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.GET.get("next", ""), login_url=reverse("account_login"))
    return render(request, "403.html", status=403)
