"""Sign-up and profile forms (the sign-in form is in ``lms.accounts.login_form``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import Gender, ParticipantStatus, Region
from lms.accounts.validators import birth_year_bounds, validate_birth_year


class SignupForm(forms.Form):
    """Extra sign-up fields (allauth adds email and passwords)."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("As it should appear on your certificate."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])


class ProfileForm(forms.Form):
    """The learner profile. Choice fields refuse values outside their lists with a clear error."""

    full_name = forms.CharField(label=_("Full name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    participant_status = forms.ChoiceField(
        label=_("What describes you best?"),
        choices=ParticipantStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the listed participant statuses.")},
    )
    ai_major = forms.TypedChoiceField(
        label=_("Is your major related to AI?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Answer yes or no.")},
    )
    birth_year = forms.IntegerField(
        label=_("Birth year"),
        validators=[validate_birth_year],
        widget=forms.NumberInput(attrs={"autocomplete": "bday-year", "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the year as four digits, for example 1998.")},
    )
    region = forms.ChoiceField(
        label=_("Region (city or province)"),
        choices=[("", _("Choose your region"))] + Region.choices,
        error_messages={"invalid_choice": _("Choose one of the 17 cities and provinces.")},
    )
    gender = forms.ChoiceField(
        label=_("Gender (optional)"),
        choices=[("", _("Not answered"))] + Gender.choices,
        required=False,
        error_messages={"invalid_choice": _("Choose one of the listed options.")},
    )
    stats_consent = forms.BooleanField(
        label=_("I agree that my answers are used, only as anonymous counts, in the "
                "programme's statistics for the Ministry."),
        required=False,
        help_text=_("You may withdraw this consent at any time on this page."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = birth_year_bounds()
        self.fields["birth_year"].widget.attrs.update({"min": low, "max": high})

    @classmethod
    def initial_for(cls, *, user) -> dict:
        profile = user.profile
        return {
            "full_name": user.full_name,
            "participant_status": profile.participant_status,
            "ai_major": {True: "yes", False: "no"}.get(profile.ai_major),
            "birth_year": profile.birth_year,
            "region": profile.region,
            "gender": profile.gender,
            "stats_consent": profile.stats_consent,
        }
