"""The sign-in form. Apart from ``lms.accounts.forms``: allauth's forms module imports the
sign-up form class named in the settings (ACCOUNT_SIGNUP_FORM_CLASS), so importing allauth's
forms there would be circular."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, its checkbox named for what it does: ticked, the session
    outlives the browser (SESSION_COOKIE_AGE); unticked, it ends when the browser closes. It
    does not remember the email address, which allauth's Korean "아이디 저장" promised."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in")
