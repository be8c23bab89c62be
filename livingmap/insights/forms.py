"""Forms of the insights app: the gaps query (GET) and recording participation."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from livingmap.areas.models import Area

from .models import Activity, ActivityCategory
from .selectors import (
    DEFAULT_NEED,
    KIND_OR_CATEGORY,
    GapsQuery,
    need_indicators,
    public_kinds,
)


def _not_in_list(what: str) -> dict[str, str]:
    return {"invalid_choice": f"Choose {what} from the list: '%(value)s' is not one of them"}


#: A filter given twice is refused, not quietly narrowed to its last value (as in the search).
ONE_OF_EACH = {
    "need": "Choose one measure of need",
    "kind": "Choose one kind of asset, or Any kind",
    "category": "Choose one category, or Any category",
}


class GapsForm(forms.Form):
    """The gaps query, from the page's GET parameters (and its CSV's). Field ids are the
    parameter names, so that the error summary links to them and names them."""

    need = forms.ChoiceField(
        label="Measure of need",
        required=False,
        initial=DEFAULT_NEED,
        help_text="The English Indices of Deprivation 2019, overall or one domain. Each is a "
        "rank: 1 is the most deprived small area in England.",
        error_messages=_not_in_list("a measure of need"),
    )
    kind = forms.ChoiceField(
        label="Kind of asset", required=False, error_messages=_not_in_list("a kind of asset")
    )
    category = forms.ChoiceField(
        label="Or a category of asset",
        required=False,
        help_text="Choose a kind or a category, not both.",
        error_messages=_not_in_list("a category"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        from livingmap.assets.selectors import categories_in_use

        # Every measure is a rank (the hint says so): " (rank)" would only make them longer.
        self.fields["need"].choices = [
            (i.slug, i.name.removesuffix(" (rank)")) for i in need_indicators()
        ]
        self.fields["kind"].choices = [("", "Any kind"), *public_kinds()]
        self.fields["category"].choices = [("", "Any category")] + [
            (c.slug, c.name) for c in categories_in_use() if c.slug != "skill"
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        getlist = getattr(self.data, "getlist", None)
        if getlist is not None:
            for name, message in ONE_OF_EACH.items():
                if len(set(getlist(name))) > 1:
                    self.add_error(name, message)
        if cleaned.get("kind") and cleaned.get("category"):
            self.add_error("category", KIND_OR_CATEGORY)
        return cleaned

    def to_query(self) -> GapsQuery:
        """The gaps query to run; call only when the form is valid."""
        data = self.cleaned_data
        return GapsQuery(
            need=data.get("need") or DEFAULT_NEED,
            kind=data.get("kind", ""),
            category=data.get("category", ""),
        )

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) for the GOV.UK error summary, in the order fields appear."""
        items = [(name, m) for name in self.fields for m in self.errors.get(name, [])]
        items += [("need", m) for m in self.non_field_errors()]
        return items

    def error_text(self) -> str:
        """The problems in plain text, one a line, each after the parameter it is about: for a
        download, which has no page to show them on."""
        lines = [
            "This table was not made: correct the query and try again.",
            "",
            *(f"{name}: {message}" for name, message in self.error_list),
        ]
        return "\n".join(lines) + "\n"


class MonthField(forms.CharField):
    """A month as YYYY-MM (what <input type="month"> sends), cleaned to its first day."""

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        try:
            year, month = (int(p) for p in str(value).strip().split("-")[:2])
            if not 2000 <= year <= 2100:
                raise ValueError(year)
            return date(year, month, 1)
        except (TypeError, ValueError, OverflowError) as exc:
            raise forms.ValidationError(
                "Enter the month as a year and month, like 2026-03"
            ) from exc


class ParticipationForm(forms.Form):
    activity = forms.ModelChoiceField(
        queryset=Activity.objects.none(),
        required=False,
        label="Activity",
        empty_label="A new activity (give its name below)",
    )
    new_activity = forms.CharField(label="Name of a new activity", required=False, max_length=200)
    category = forms.ChoiceField(
        label="Kind of activity (for a new activity)",
        choices=[("", "Choose a kind"), *ActivityCategory.choices],
        required=False,
    )
    month = MonthField(
        label="Month",
        help_text="For example, 2026-03",
        widget=forms.TextInput(
            attrs={"type": "month", "class": "govuk-input govuk-input--width-10"}
        ),
    )
    participants = forms.IntegerField(
        label="How many people took part",
        min_value=0,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-5"}),
    )

    def __init__(self, *args: Any, asset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = Activity.objects.filter(asset=asset)
        self.hoods = list(Area.objects.neighbourhoods().order_by("name").only("id", "name"))
        for hood in self.hoods:
            self.fields[f"hood_{hood.id}"] = forms.IntegerField(
                label=f"Of them, how many live in {hood.name} (optional)",
                min_value=0,
                max_value=1_000_000,
                required=False,
                widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-5"}),
            )

    def hood_fields(self) -> list[Any]:
        return [self[f"hood_{h.id}"] for h in self.hoods]

    def splits(self) -> dict[Area, int]:
        return {h: self.cleaned_data.get(f"hood_{h.id}") or 0 for h in self.hoods}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("activity"):
            if not (data.get("new_activity") or "").strip():
                self.add_error("new_activity", "Choose an activity, or give a new one's name")
            if not data.get("category"):
                self.add_error("category", "Choose the kind of the new activity")
        total = data.get("participants")
        split_total = sum(data.get(f"hood_{h.id}") or 0 for h in self.hoods)
        if total is not None and split_total > total:
            raise forms.ValidationError(
                f"The people from each neighbourhood add up to {split_total}, more than the "
                f"{total} who took part"
            )
        return data
