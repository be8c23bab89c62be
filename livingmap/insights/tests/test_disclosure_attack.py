"""An attacker against the published participation figures.

It gathers everything public that holds participation figures — the participation page, its
open-data CSV, the API, and every group's page and CSV — as an anonymous visitor would, and
tries to work out every hidden small number ("<5") by linear arithmetic: differences of totals
and sub-totals, sums across tables, shares times totals. Two independent attacks:

- interval bounds propagated through every relation until nothing changes, given what each
  marker says ("<5" is 1 to 4) — and, in the stronger form, also that every "[c]" hiding no
  small number is at least 5 (an attacker who knows how the cells are chosen);
- linear algebra: whether a hidden cell is a linear combination of what is shown (the row space
  of the relations over the hidden cells, with numpy), as any chain of subtractions would be.

The test fails if any count from 1 to 4 is pinned down to one number.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections import defaultdict
from datetime import date, datetime
from html.parser import HTMLParser

import numpy as np
import pytest
from django.db.models import Sum

from livingmap.areas.models import Area
from livingmap.assets.models import Asset
from livingmap.insights.demo import load_insights_demo
from livingmap.insights.models import ActivityCategory, ParticipationRecord, ParticipationSplit
from livingmap.insights.services import add_activity, record_participation

pytestmark = pytest.mark.django_db

SMALL, HIDDEN = "<5", "[c]"


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _value(text: str) -> int | str:
    text = text.strip()
    if text in (SMALL, HIDDEN):
        return text
    return int(text.replace(",", ""))


class Public:
    """What an anonymous visitor can read, keyed by what it is: ("area", label, month),
    ("total", label), ("hood", label, neighbourhood) and ("group", uuid, label, month)."""

    def __init__(self) -> None:
        self.seen: dict[tuple, set] = defaultdict(set)
        self.month_parts: dict[str, set[date]] = defaultdict(set)
        self.hood_parts: dict[str, set[str]] = defaultdict(set)
        self.group_parts: dict[tuple[str, date], set[str]] = defaultdict(set)
        self.shares: list[tuple[tuple, tuple, float]] = []
        self.sources = 0

    def see(self, key: tuple, text: str) -> None:
        self.seen[key].add(_value(text))
        if key[0] == "area":
            self.month_parts[key[1]].add(key[2])
        elif key[0] == "hood":
            self.hood_parts[key[1]].add(key[2])
        elif key[0] == "group":
            self.group_parts[(key[2], key[3])].add(key[1])

    def exact(self, key: tuple) -> int | None:
        numbers = {v for v in self.seen[key] if isinstance(v, int)}
        assert len(numbers) <= 1, f"{key} is published as {numbers}"
        return numbers.pop() if numbers else None

    def relations(self) -> list[tuple[tuple, list[tuple]]]:
        out = []
        for label, months in self.month_parts.items():
            out.append((("total", label), [("area", label, m) for m in sorted(months)]))
        for label, hoods in self.hood_parts.items():
            out.append((("total", label), [("hood", label, h) for h in sorted(hoods)]))
        for (label, month), groups in self.group_parts.items():
            out.append((("area", label, month), [("group", g, label, month) for g in groups]))
        return out


def _gather(client) -> Public:
    public = Public()
    # the API
    api = client.get("/api/insights/participation").json()
    for row in api["by_month"]["rows"]:
        for column, value in zip(api["by_month"]["columns"], row["values"], strict=True):
            public.see(
                ("area", row["activity"], datetime.strptime(column, "%b %Y").date()), str(value)
            )
        public.see(("total", row["activity"]), str(row["total"]))
    for row in api["by_neighbourhood"]["rows"]:
        for column, value in zip(api["by_neighbourhood"]["columns"], row["values"], strict=True):
            public.see(("hood", row["activity"], column), str(value))
        public.see(("total", row["activity"]), str(row["total"]))
    # the page: its two tables (header row, then one row per kind of activity)
    page = client.get("/participation/").content.decode()
    parser = _Tables()
    parser.feed(page)
    by_month, by_hood = parser.tables[:2]
    for table, kind in ((by_month, "area"), (by_hood, "hood")):
        columns = table[0][1:-1]
        for row in table[1:]:
            label, cells, total = row[0], row[1:-1], row[-1]
            for column, value in zip(columns, cells, strict=True):
                part = datetime.strptime(column, "%b %Y").date() if kind == "area" else column
                public.see((kind, label, part), value)
            public.see(("total", label), total)
    # the open-data CSV
    body = b"".join(client.get("/open-data/participation-csv/").streaming_content).decode()
    for r in csv.DictReader(io.StringIO(body)):
        if r["table"] == "month":
            month = datetime.strptime(r["month_or_neighbourhood"], "%b %Y").date()
            public.see(("area", r["activity_category"], month), r["participants"])
        else:
            public.see(
                ("hood", r["activity_category"], r["month_or_neighbourhood"]), r["participants"]
            )
    # every group's page and CSV
    uuids = sorted(set(re.findall(r'href="/participation/groups/([0-9a-f-]{36})/"', page)))
    assert uuids, "the page links to the groups"
    for uuid in uuids:
        parser = _Tables()
        parser.feed(client.get(f"/participation/groups/{uuid}/").content.decode())
        for month, label, mine, area, _share in parser.tables[0][1:]:
            m = datetime.strptime(month, "%B %Y").date()
            public.see(("group", uuid, label, m), mine)
            public.see(("area", label, m), area)
        body = b"".join(
            client.get(f"/participation/groups/{uuid}/share.csv").streaming_content
        ).decode()
        for r in csv.DictReader(io.StringIO(body)):
            m = datetime.strptime(r["month"], "%Y-%m").date()
            key = ("group", uuid, r["activity_category"], m)
            public.see(key, r["group_participants"])
            public.see(("area", r["activity_category"], m), r["area_participants"])
            if r["share"]:
                public.shares.append((key, ("area", r["activity_category"], m), float(r["share"])))
    public.sources = 3 + 2 * len(uuids)
    return public


def _truth() -> dict[tuple, int]:
    """The real counts, straight from the records (not through the code under attack)."""
    labels = dict(ActivityCategory.choices)
    hoods = dict(Area.objects.neighbourhoods().values_list("id", "name"))
    newest = ParticipationRecord.objects.order_by("-month").values_list("month", flat=True)[0]
    first = date(newest.year - (newest.month <= 11), (newest.month - 12) % 12 + 1, 1)
    records = ParticipationRecord.objects.filter(month__gte=first, month__lte=newest)
    truth: dict[tuple, int] = defaultdict(int)
    for uuid, category, month, n in records.values_list(
        "activity__asset__uuid", "activity__category", "month"
    ).annotate(n=Sum("participants")):
        label = labels[category]
        truth[("group", str(uuid), label, month)] += n
        truth[("area", label, month)] += n
        truth[("total", label)] += n
    recorded: dict[str, int] = defaultdict(int)
    for category, hood_id, n in (
        ParticipationSplit.objects.filter(record__in=records)
        .values_list("record__activity__category", "neighbourhood_id")
        .annotate(n=Sum("participants"))
    ):
        truth[("hood", labels[category], hoods[hood_id])] += n
        recorded[labels[category]] += n
    for (kind, *rest), n in list(truth.items()):
        if kind == "total":
            truth[("hood", rest[0], "Not recorded")] = n - recorded[rest[0]]
    return dict(truth)


def _bounds(public: Public, truth: dict[tuple, int], *, informed: bool) -> dict[tuple, list]:
    """Interval attack: every cell's [low, high], narrowed through every relation and share."""
    bounds: dict[tuple, list] = {}
    for key, seen in public.seen.items():
        exact = public.exact(key)
        if exact is not None:
            bounds[key] = [exact, exact]
        elif SMALL in seen:
            bounds[key] = [1, 4]
        else:  # "[c]": hidden, not zero (zeros are shown)
            bounds[key] = [5 if informed and truth.get(key, 0) >= 5 else 1, math.inf]
    relations = public.relations()
    for _ in range(1000):
        before = {k: tuple(v) for k, v in bounds.items()}
        for total, parts in relations:
            low = sum(bounds[p][0] for p in parts)
            high = sum(bounds[p][1] for p in parts)
            bounds[total][0] = max(bounds[total][0], low)
            bounds[total][1] = min(bounds[total][1], high)
            for p in parts:
                others_high = high - bounds[p][1] if bounds[p][1] != math.inf else math.inf
                if not any(bounds[o][1] == math.inf for o in parts if o != p):
                    others_high = sum(bounds[o][1] for o in parts if o != p)
                else:
                    others_high = math.inf
                others_low = sum(bounds[o][0] for o in parts if o != p)
                if others_high != math.inf:
                    bounds[p][0] = max(bounds[p][0], bounds[total][0] - others_high)
                bounds[p][1] = min(bounds[p][1], bounds[total][1] - others_low)
        for group, area, share in public.shares:  # share = group / area, to 4 places
            a_low, a_high = bounds[area]
            bounds[group][0] = max(bounds[group][0], math.ceil((share - 5e-5) * a_low - 1e-9))
            if a_high != math.inf:
                bounds[group][1] = min(bounds[group][1], math.floor((share + 5e-5) * a_high + 1e-9))
        if {k: tuple(v) for k, v in bounds.items()} == before:
            break
    return bounds


def _determined_by_linear_algebra(public: Public) -> set[tuple]:
    """Hidden cells that some linear combination of the relations gives exactly."""
    hidden = sorted((k for k in public.seen if public.exact(k) is None), key=repr)
    index = {k: i for i, k in enumerate(hidden)}
    rows = []
    for total, parts in public.relations():
        row = np.zeros(len(hidden))
        for key, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if key in index:
                row[index[key]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    determined = set()
    for key, i in index.items():
        unit = np.zeros(len(hidden))
        unit[i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            determined.add(key)
    return determined


@pytest.fixture
def published(client):
    """The demo's illustrative year of participation, plus the two cases issue 17 found:
    two groups in one kind of activity in one month, 3 and 10 (13 - 10 = 3 from their share
    CSVs), and a year's total of 15 with 13 in the other months (15 - 13 = 2)."""
    load_insights_demo()
    newest = ParticipationRecord.objects.order_by("-month").values_list("month", flat=True)[0]
    groups = list(
        Asset.objects.public().filter(categories__slug="community-hub").order_by("name")[2:4]
    )
    choir = add_activity(groups[0], "Choir", ActivityCategory.VOLUNTEERING)
    poetry = add_activity(groups[1], "Poetry", ActivityCategory.VOLUNTEERING)
    record_participation(choir, newest, 10)
    record_participation(poetry, newest, 3)
    walks = add_activity(groups[0], "Walks", ActivityCategory.WALKING)
    earlier = date(newest.year - (newest.month == 1), (newest.month - 2) % 12 + 1, 1)
    record_participation(walks, newest, 13)
    record_participation(walks, earlier, 2)
    # and small advice sessions, some months none, some split by where people live
    rng = random.Random(17)
    hoods = list(Area.objects.neighbourhoods().order_by("name"))
    months = [
        date(newest.year - (newest.month <= i), (newest.month - 1 - i) % 12 + 1, 1)
        for i in range(12)
    ]
    advisers = Asset.objects.public().filter(categories__slug="library").order_by("name")[2:6]
    for asset in advisers:
        advice = add_activity(asset, "Advice surgery", ActivityCategory.ADVICE)
        for month in months:
            people = rng.choice([0, 1, 2, 3, 4, 6, 8, 12])
            splits = {rng.choice(hoods): rng.randint(0, people)} if people and hoods else {}
            record_participation(advice, month, people, splits)
    return _gather(client), _truth()


def test_no_small_number_can_be_worked_out_from_everything_published(published):
    public, truth = published
    assert public.sources >= 20  # the page, its CSV, the API, and every group's page and CSV
    small = {k for k, n in truth.items() if 0 < n < 5 and k in public.seen}
    assert len(small) >= 15, "the demo has small numbers to protect"
    for key in small:
        assert public.exact(key) is None, f"{key} (really {truth[key]}) is published"
    determined = _determined_by_linear_algebra(public)
    for informed in (False, True):
        bounds = _bounds(public, truth, informed=informed)
        for key in small:
            low, high = bounds[key]
            assert low <= truth[key] <= high, (key, low, high, truth[key])  # the attack is sound
            assert math.floor(high) > math.ceil(low), (
                f"{key} is pinned to {truth[key]} (informed={informed})"
            )
    for key in small:
        assert key not in determined, f"{key} is a linear combination of what is shown"
    assert any(HIDDEN in seen for seen in public.seen.values()), "secondary cells are hidden"


def test_the_two_subtractions_of_the_probe_no_longer_work(published):
    public, truth = published
    volunteering = ActivityCategory.VOLUNTEERING.label
    walking = ActivityCategory.WALKING.label
    poetry = next(k for k in truth if k[0] == "group" and k[2] == volunteering and truth[k] == 3)
    # 13 - 10: the area's figure and the other group's cannot both be shown
    newest = poetry[3]
    choir = next(k for k in truth if k[0] == "group" and k[2] == volunteering and k != poetry)
    assert public.seen[poetry] == {SMALL}
    assert None in (public.exact(("area", volunteering, newest)), public.exact(choir))
    # 15 - 13: the year's total and the other month cannot both be shown
    small_month = next(k for k in truth if k[:2] == ("area", walking) and truth[k] == 2)
    assert public.seen[small_month] == {SMALL}
    assert None in (public.exact(("total", walking)), public.exact(("area", walking, newest)))
