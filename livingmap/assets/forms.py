"""The public search form: what someone is looking for, checked, in their words."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.functional import lazy

from livingmap.areas.selectors import PostcodeError, PostcodeNotFound, point_for_postcode
from livingmap.core.text import normalise_postcode, postcode_example_hint

from .models import Asset, AssetKind
from .selectors import MAX_PAGE, AssetQuery, get_located_public_asset

#: Distances offered, in kilometres: the select's values.
DISTANCES_KM = ["0.5", "1", "2", "5", "10"]
DEFAULT_DISTANCE_KM = "2"


def _distance_label(km: str) -> str:
    return f"{km} km" if km != "1" else "1 km"


#: The form takes one of each; a search that gives one twice with different values is refused
#: with these words rather than quietly using the last (?kind=association&kind=physical).
ONE_OF_EACH = {
    "q": "Enter the words to search for once",
    "kind": "Choose one kind of asset, or Any kind",
    "category": "Choose one category, or Any category",
    "postcode": "Enter one postcode",
    "distance": "Choose one distance",
    "neighbourhood": "Choose one neighbourhood, or Anywhere",
    "page": "Ask for one page of results at a time",
    "near": "Search near one place at a time",
}

NOT_ON_THE_MAP = "We could not find that place on the map: enter a postcode instead"


class AssetSearchForm(forms.Form):
    """Words, kind, category, postcode (or an asset, `near`) and distance, neighbourhood, page.
    All optional; each at most once.

    Field ids are the field names (auto_id "%s") so that the error summary can link to them.
    """

    q = forms.CharField(
        label="Words",
        required=False,
        max_length=200,
        error_messages={"max_length": "Use 200 characters or fewer"},
    )
    kind = forms.ChoiceField(
        label="Kind of asset",
        required=False,
        error_messages={"invalid_choice": "Choose a kind of asset from the list"},
    )
    category = forms.ChoiceField(
        label="Category",
        required=False,
        error_messages={"invalid_choice": "Choose a category from the list"},
    )
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        max_length=20,
        error_messages={
            "max_length": lazy(
                lambda: postcode_example_hint().strip().rstrip(".") or "That is not a postcode",
                str,
            )()
        },
    )
    distance = forms.ChoiceField(
        label="Distance",
        required=False,
        choices=[(km, _distance_label(km)) for km in DISTANCES_KM],
        initial=DEFAULT_DISTANCE_KM,
        error_messages={
            "invalid_choice": (
                f"Choose a distance from the list: {DISTANCES_KM[-1]} km is the furthest"
            )
        },
    )
    neighbourhood = forms.ChoiceField(
        label="Neighbourhood",
        required=False,
        error_messages={"invalid_choice": "Choose a neighbourhood from the list"},
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "The page number must be a whole number, like 2",
            "min_value": "The page number must be 1 or more",
            "max_value": f"The page number must be at most {MAX_PAGE:,}",
        },
    )
    #: Near an asset rather than a postcode (an asset page's "Find what else is within 1 km"):
    #: the asset's own point, so it works whether or not its postcode is in the postcode table.
    near = forms.CharField(required=False, max_length=36, widget=forms.HiddenInput)

    field_order = ["q", "postcode", "distance", "kind", "category", "neighbourhood", "page", "near"]

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[str, str]],
        neighbourhoods: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Any kind")] + [
            (value, label) for value, label in AssetKind.choices if value != AssetKind.GIFTS
        ]
        self.fields["category"].choices = [("", "Any category"), *categories]
        self.fields["neighbourhood"].choices = [("", "Anywhere"), *neighbourhoods]
        self.point: tuple[float, float] | None = None
        #: The asset searched near, when the search is near an asset (and no postcode is given).
        self.near_asset: Asset | None = None

    def clean_postcode(self) -> str:
        text = self.cleaned_data.get("postcode", "").strip()
        if not text:
            return ""
        try:
            self.point = point_for_postcode(text)
        except (PostcodeError, PostcodeNotFound) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return normalise_postcode(text)

    def clean_near(self) -> str:
        text = self.cleaned_data.get("near", "").strip()
        if not text or str(self.data.get("postcode", "")).strip():
            return ""  # a postcode, when one is entered, replaces the place
        try:
            self.near_asset = get_located_public_asset(uuid.UUID(text))
        except (ValueError, Asset.DoesNotExist):
            # Shown at the postcode, the field to use instead (this one is hidden).
            self.add_error("postcode", NOT_ON_THE_MAP)
            return ""
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        getlist = getattr(self.data, "getlist", None)
        if getlist is not None:
            for name, message in ONE_OF_EACH.items():
                if len(set(getlist(name))) > 1:
                    self.add_error(name, message)
        return cleaned

    def to_query(self, *, page_size: int) -> AssetQuery:
        """The search to run; call only when the form is valid."""
        data = self.cleaned_data
        km = float(data.get("distance") or DEFAULT_DISTANCE_KM)
        near = self.point
        if near is None and self.near_asset is not None:
            near = (self.near_asset.lon, self.near_asset.lat)
        return AssetQuery(
            words=data.get("q", ""),
            kind=data.get("kind", ""),
            category=data.get("category", ""),
            neighbourhood=data.get("neighbourhood", ""),
            near=near,
            within_m=km * 1000,
            page=data.get("page") or 1,
            page_size=page_size,
        )

    @property
    def near_label(self) -> str:
        """Where a search near a place measures from, in words: the postcode or the asset."""
        if self.point is not None:
            return self.cleaned_data.get("postcode", "")
        return self.near_asset.name if self.near_asset is not None else ""

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) for the GOV.UK error summary, in the order fields appear."""
        targets = {"page": "results", "near": "postcode"}
        items = []
        for name in self.fields:
            for message in self.errors.get(name, []):
                items.append((targets.get(name, name), message))
        for message in self.non_field_errors():
            items.append(("q", message))
        return items
