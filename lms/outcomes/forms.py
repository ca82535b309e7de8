"""Forms of employment outcomes: the learner's consents, the follow-up answer, and the
operators' matching export."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.outcomes.definitions import EMPLOYED, EmployerSize, Industry, PayBand, Status
from lms.outcomes.services import Answer

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConsentForm(forms.Form):
    """The two separate consents; matching asks for the date of birth."""

    follow_up = forms.BooleanField(
        label=_("I agree to be asked about my employment 3 and 6 months after completing "
                "the programme (a short form by email)."), required=False)
    matching = forms.BooleanField(
        label=_("I agree that the programme may match my completion with public employment "
                "insurance records, instead of or besides asking me."), required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=_DATE,
        help_text=_("Needed only for matching; deleted when you withdraw that consent."))

    @classmethod
    def initial_for(cls, consent) -> dict:
        if consent is None:
            return {}
        return {"follow_up": consent.follow_up, "matching": consent.matching,
                "birth_date": consent.birth_date}

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value is not None:
            today = timezone.localdate()
            if value > today or value.year < 1900:
                raise forms.ValidationError(_("Enter your real date of birth."))
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("matching") and not cleaned.get("birth_date") \
                and "birth_date" not in self.errors:
            self.add_error("birth_date", _("Matching with employment records needs your "
                                           "date of birth."))
        return cleaned


class YesNo(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=[("1", _("Yes")), ("0", _("No"))],
                         coerce=lambda v: v == "1", empty_value=None,
                         widget=forms.RadioSelect, **kwargs)


class AnswerForm(forms.Form):
    """The follow-up form: what the person is doing, then (when employed) the details."""

    status = forms.ChoiceField(
        label=_("What are you doing now?"), widget=forms.RadioSelect,
        choices=[(s.value, s.label) for s in Status if s != Status.NO_ANSWER])
    employed_on = forms.DateField(label=_("Date employed (or started)"), required=False,
                                  widget=_DATE)
    employer_size = forms.ChoiceField(
        label=_("Size of the employer"), required=False,
        choices=[("", _("Choose…")), *EmployerSize.choices])
    industry = forms.ChoiceField(
        label=_("Industry"), required=False,
        choices=[("", _("Choose…")), *Industry.choices],
        help_text=_("The sections of the Korean Standard Industrial Classification."))
    uses_ai = YesNo(label=_("Does the work use AI or data skills?"), required=False)
    pay_band = forms.ChoiceField(
        label=_("Monthly pay before tax"), required=False,
        choices=[("", _("Choose…")), *PayBand.choices])

    EMPLOYMENT_FIELDS = ("employed_on", "employer_size", "industry", "uses_ai", "pay_band")

    def __init__(self, *args, earliest: datetime.date | None = None,
                 today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.earliest = earliest
        self.today = today or timezone.localdate()
        self.fields["employed_on"].widget.attrs["max"] = self.today.isoformat()
        if earliest:
            self.fields["employed_on"].widget.attrs["min"] = earliest.isoformat()

    @classmethod
    def initial_for(cls, outcome) -> dict:
        if not outcome.status or outcome.status == Status.NO_ANSWER:
            return {}
        return {"status": outcome.status, "employed_on": outcome.employed_on,
                "employer_size": outcome.employer_size, "industry": outcome.industry,
                "uses_ai": {True: "1", False: "0"}.get(outcome.uses_ai),
                "pay_band": outcome.pay_band}

    def clean_employed_on(self):
        value = self.cleaned_data.get("employed_on")
        if value is None:
            return value
        if value > self.today:
            raise forms.ValidationError(_("The date employed cannot be in the future."))
        if self.earliest and value < self.earliest:
            raise forms.ValidationError(
                _("The date employed cannot be before the programme started (%(date)s).")
                % {"date": self.earliest.isoformat()})
        return value

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status and status not in EMPLOYED:
            # The job details are hidden (and not stored) for this status: a value left there
            # from another choice must not block the answer with an error no one can see.
            for name in self.EMPLOYMENT_FIELDS:
                self._errors.pop(name, None)
                cleaned.pop(name, None)
        return cleaned

    def answer(self) -> Answer:
        data = self.cleaned_data
        if data["status"] not in EMPLOYED:
            return Answer(status=data["status"])
        return Answer(status=data["status"], employed_on=data.get("employed_on"),
                      employer_size=data.get("employer_size") or "",
                      industry=data.get("industry") or "", uses_ai=data.get("uses_ai"),
                      pay_band=data.get("pay_band") or "")


class MatchingExportForm(forms.Form):
    """The admin's filters of the matching export."""

    year = forms.IntegerField(label=_("Year of completion"), min_value=2000, max_value=2100)
    programme = forms.ChoiceField(label=_("Programme"), required=False)
    run = forms.IntegerField(label=_("Run id"), required=False, min_value=1)

    def __init__(self, *args, programmes: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", _("All programmes")), *programmes]
