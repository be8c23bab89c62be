"""Forms of the time bank pages. They only read input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from livingmap.areas.models import Area
from livingmap.assets.models import Category

from .models import Account, Listing, Member, TimeBank
from .services import MAX_EXCHANGE_MINUTES, TOO_LONG

#: The services refuse the same; the forms say it beside the field.
MINUTES_ERRORS = {
    "required": "Enter the time in minutes",
    "invalid": "Enter the time as a whole number of minutes",
    "min_value": "The time must be more than zero minutes",
    "max_value": TOO_LONG,
}


class GovukForm(forms.Form):
    """Adds `error_list`: (field id, message) pairs for the GOV.UK error summary."""

    @property
    def error_list(self) -> list[tuple[str, str]]:
        out = []
        for name, errors in self.errors.items():
            target = self[name].auto_id if name in self.fields else "main-content"
            out += [(target, e) for e in errors]
        return out


def _neighbourhoods() -> Any:
    return Area.objects.neighbourhoods().order_by("name")


class JoinForm(GovukForm):
    name = forms.CharField(max_length=200, label="Your name, as other members will see it")
    kind = forms.ChoiceField(
        choices=Member.Kind.choices, initial=Member.Kind.PERSON, label="You are"
    )
    neighbourhood = forms.ModelChoiceField(
        queryset=Area.objects.none(), required=False, label="Your neighbourhood"
    )
    contact = forms.CharField(
        max_length=300,
        required=False,
        label="Email or phone",
        help_text="Only shown to a member when you have both agreed to an exchange.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = _neighbourhoods()


class ListingForm(GovukForm):
    kind = forms.ChoiceField(choices=Listing.Kind.choices, label="Is this an offer or a request?")
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False)
    neighbourhood = forms.ModelChoiceField(queryset=Area.objects.none(), required=False)
    availability = forms.CharField(
        max_length=200, required=False, help_text="For example, weekday evenings."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.order_by("name")
        self.fields["neighbourhood"].queryset = _neighbourhoods()


class MessageForm(GovukForm):
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class _AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Account) -> str:
        return obj.name


def _accounts(bank: TimeBank) -> Any:
    return (
        Account.objects.filter(bank=bank)
        .filter(Q(member__isnull=True) | Q(member__status=Member.Status.ACTIVE))
        .select_related("member", "bank")
        .order_by("member__name")
    )


class RecordForm(GovukForm):
    """A member records help they gave (payee is themselves); a broker picks both sides."""

    payer = _AccountChoice(queryset=Account.objects.none(), label="Who received the help?")
    payee = _AccountChoice(queryset=Account.objects.none(), label="Who gave the help?")
    minutes = forms.IntegerField(
        label="How long, in minutes?",
        help_text=(
            f"For example, 90 for an hour and a half. At most {MAX_EXCHANGE_MINUTES:,} (24 hours)."
        ),
        min_value=1,
        max_value=MAX_EXCHANGE_MINUTES,
        error_messages=MINUTES_ERRORS,
    )
    description = forms.CharField(max_length=500, required=False, label="What was it?")

    def __init__(self, *args: Any, bank: TimeBank, giver: Account | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = _accounts(bank)
        self.fields["payee"].queryset = _accounts(bank)
        if giver is not None:  # a member records their own help
            del self.fields["payee"]
            self.fields["payer"].queryset = (
                _accounts(bank).exclude(pk=giver.pk).filter(member__isnull=False)
            )


class BulkForm(GovukForm):
    one = _AccountChoice(queryset=Account.objects.none(), label="Account")
    direction = forms.ChoiceField(
        choices=[
            ("pays", "This account pays each member chosen below (one to many)"),
            ("earns", "Each member chosen below pays this account (many to one)"),
        ],
        widget=forms.RadioSelect,
    )
    others = forms.ModelMultipleChoiceField(
        queryset=Account.objects.none(), widget=forms.CheckboxSelectMultiple, label="Members"
    )
    minutes = forms.IntegerField(
        label="Minutes for each member",
        min_value=1,
        max_value=MAX_EXCHANGE_MINUTES,
        error_messages=MINUTES_ERRORS,
    )
    description = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, bank: TimeBank, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["one"].queryset = _accounts(bank)
        self.fields["others"].queryset = _accounts(bank).filter(member__isnull=False)
        self.fields["others"].label_from_instance = lambda a: a.name


#: The largest credit limit a broker can set: a year of full-time help, far beyond any real one,
#: so a slip of the keyboard is refused rather than stored.
MAX_CREDIT_LIMIT_MINUTES = 2000 * 60


class CreditLimitForm(GovukForm):
    """How far below zero one member's balance may go; blank for no limit."""

    limit = forms.IntegerField(
        label="How far below zero may their balance go, in minutes?",
        help_text=(
            "For example, 600 for 10 hours, or 0 so they must earn time before spending it. "
            "Leave it blank for no limit."
        ),
        required=False,
        min_value=0,
        max_value=MAX_CREDIT_LIMIT_MINUTES,
        error_messages={
            "invalid": "Enter the credit limit as a whole number of minutes",
            "min_value": "The credit limit must be 0 minutes or more",
            "max_value": (
                f"The credit limit must be {MAX_CREDIT_LIMIT_MINUTES:,} minutes or fewer"
            ),
        },
    )


class StatementRangeForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
