"""Synthetic national-scale data: assets clustered in towns over England, and LSOA-like polygons.

Everything is drawn from one seeded generator, so the same scale always gives the same data.

* Places: about sixty real English towns and cities at their rough positions with rough
  populations, plus a few thousand villages and small towns with made-up English names scattered
  over the extent. A place's population decides how many assets and LSOAs it gets.
* Assets: a place is drawn by population and the point scattered around it (wider for bigger
  places); a few per cent lie in open country. Each asset has a category from Living Map's
  taxonomy, a name made the way real ones are ("Hale Community Library", "St Mary's Church",
  "Broadheath Allotments"), a one-line description from a vocabulary of activities, an address
  and a postcode-like code.
* LSOA-like polygons: a Voronoi tessellation of seed points drawn the same way (so small in towns
  and large in the country), clipped to the extent — they tile it, as LSOAs tile England.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

# Roughly England: (min lon, min lat, max lon, max lat).
EXTENT = (-5.7, 50.0, 1.8, 55.8)
SEED = 20_250_611

# (name, lon, lat, population in thousands) — rough figures, only to shape the clustering.
TOWNS: list[tuple[str, float, float, float]] = [
    ("London", -0.12, 51.51, 8800),
    ("Birmingham", -1.90, 52.48, 1140),
    ("Manchester", -2.24, 53.48, 550),
    ("Leeds", -1.55, 53.80, 790),
    ("Liverpool", -2.98, 53.41, 490),
    ("Sheffield", -1.47, 53.38, 560),
    ("Bristol", -2.59, 51.45, 470),
    ("Newcastle", -1.61, 54.97, 300),
    ("Nottingham", -1.15, 52.95, 320),
    ("Leicester", -1.13, 52.64, 370),
    ("Coventry", -1.51, 52.41, 345),
    ("Bradford", -1.75, 53.79, 360),
    ("Stoke", -2.18, 53.00, 260),
    ("Wolverhampton", -2.13, 52.59, 265),
    ("Plymouth", -4.14, 50.38, 265),
    ("Southampton", -1.40, 50.91, 250),
    ("Portsmouth", -1.09, 50.82, 210),
    ("Derby", -1.48, 52.92, 260),
    ("Reading", -0.97, 51.45, 175),
    ("Luton", -0.42, 51.88, 225),
    ("Brighton", -0.14, 50.82, 280),
    ("Hull", -0.33, 53.74, 265),
    ("Salford", -2.29, 53.49, 270),
    ("Trafford", -2.34, 53.42, 235),
    ("Stockport", -2.16, 53.41, 295),
    ("Bolton", -2.43, 53.58, 295),
    ("Wigan", -2.63, 53.55, 330),
    ("Oldham", -2.12, 53.54, 240),
    ("Rochdale", -2.16, 53.62, 225),
    ("Preston", -2.70, 53.76, 145),
    ("Blackpool", -3.05, 53.82, 140),
    ("Blackburn", -2.48, 53.75, 155),
    ("Sunderland", -1.38, 54.91, 275),
    ("Middlesbrough", -1.23, 54.57, 145),
    ("York", -1.08, 53.96, 200),
    ("Wakefield", -1.50, 53.68, 350),
    ("Huddersfield", -1.78, 53.65, 160),
    ("Doncaster", -1.13, 53.52, 310),
    ("Barnsley", -1.48, 53.55, 245),
    ("Lincoln", -0.54, 53.23, 100),
    ("Norwich", 1.30, 52.63, 145),
    ("Ipswich", 1.15, 52.06, 140),
    ("Cambridge", 0.12, 52.21, 150),
    ("Peterborough", -0.24, 52.57, 215),
    ("Northampton", -0.89, 52.24, 225),
    ("Milton Keynes", -0.76, 52.04, 290),
    ("Oxford", -1.26, 51.75, 165),
    ("Swindon", -1.78, 51.56, 235),
    ("Gloucester", -2.24, 51.86, 135),
    ("Cheltenham", -2.08, 51.90, 120),
    ("Exeter", -3.53, 50.72, 130),
    ("Bath", -2.36, 51.38, 95),
    ("Bournemouth", -1.88, 50.72, 400),
    ("Worcester", -2.22, 52.19, 105),
    ("Colchester", 0.90, 51.89, 195),
    ("Chelmsford", 0.47, 51.74, 180),
    ("Southend", 0.71, 51.54, 180),
    ("Canterbury", 1.08, 51.28, 160),
    ("Maidstone", 0.52, 51.27, 180),
    ("Carlisle", -2.93, 54.89, 110),
    ("Lancaster", -2.80, 54.05, 145),
    ("Truro", -5.05, 50.26, 60),
    ("Shrewsbury", -2.75, 52.71, 80),
    ("Telford", -2.45, 52.68, 185),
]

_STARTS = [
    "Ash",
    "Brad",
    "Bran",
    "Brom",
    "Burn",
    "Chap",
    "Chester",
    "Claver",
    "Crow",
    "Dal",
    "Dun",
    "East",
    "Elm",
    "Farn",
    "Fen",
    "Hal",
    "Ham",
    "Hart",
    "Hay",
    "Hol",
    "Kings",
    "Kirk",
    "Lang",
    "Lid",
    "Lit",
    "Mar",
    "Mel",
    "Mid",
    "Mill",
    "New",
    "North",
    "Oak",
    "Old",
    "Pen",
    "Ring",
    "Rother",
    "Saxon",
    "Shel",
    "South",
    "Stan",
    "Stock",
    "Sut",
    "Thorn",
    "Ux",
    "Wal",
    "West",
    "Whit",
    "Wick",
    "Wil",
    "Win",
    "Wood",
    "Wor",
    "Yar",
    "Alder",
    "Bex",
    "Cal",
    "Dor",
    "Ewe",
    "Gran",
    "Hen",
    "Ick",
    "Ket",
    "Lud",
    "Mal",
    "Ned",
    "Ot",
    "Pud",
    "Quen",
    "Rad",
    "Sel",
    "Tad",
    "Up",
    "Wen",
    "Wrox",
    "Ab",
    "Bil",
    "Cot",
    "Dray",
]
_ENDS = [
    "ford",
    "ham",
    "ton",
    "by",
    "field",
    "ley",
    "bury",
    "wick",
    "worth",
    "stow",
    "mouth",
    "bridge",
    "combe",
    "dale",
    "den",
    "don",
    "hurst",
    "ing",
    "minster",
    "stead",
    "thorpe",
    "wood",
    "well",
    "borough",
    "cote",
    "hall",
    "holme",
    "land",
    "leigh",
    "more",
    "over",
    "port",
    "sey",
    "side",
    "stone",
    "wade",
    "wich",
]
_SUBURB_WORDS = (
    "North",
    "South",
    "East",
    "West",
    "Upper",
    "Lower",
    "Old",
    "New",
    "Great",
    "Little",
)
_SAINTS = ("Mary", "John", "Peter", "Paul", "Michael", "George", "Andrew", "James", "Luke", "Anne")
_STREET_FIRST = [
    "Church",
    "Station",
    "High",
    "Mill",
    "Park",
    "Victoria",
    "Queen's",
    "King's",
    "Manor",
    "Green",
    "School",
    "Chapel",
    "Mount",
    "Albert",
    "Grange",
    "Oak",
    "Elm",
    "Willow",
    "Brook",
    "Moss",
    "Bridge",
    "Market",
    "Castle",
    "Meadow",
    "Orchard",
    "Hawthorn",
    "Beech",
    "Cedar",
    "Clarendon",
    "Wellington",
    "Cromwell",
    "Derby",
    "Lansdowne",
    "Russell",
    "Stanley",
    "Windsor",
    "York",
]
_STREET_LAST = ("Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Terrace", "Grove")

# category slug -> (weight, name templates). {p} a place, {s} a street, {t} a saint.
CATEGORY_NAMES: dict[str, tuple[float, tuple[str, ...]]] = {
    "community-group": (
        12,
        (
            "{p} Community Group",
            "{p} Residents Association",
            "Friends of {p} Park",
            "{p} Women's Institute",
            "{p} Youth Club",
            "{p} Walking Group",
            "{p} Knit and Natter",
            "{p} Men's Shed",
            "{p} Gardening Club",
            "{p} Book Club",
        ),
    ),
    "charity": (
        8,
        (
            "{p} Community Trust",
            "{p} Foundation",
            "Age Concern {p}",
            "{p} Carers Centre",
            "{p} Mind",
            "{p} Home-Start",
        ),
    ),
    "sports-club": (
        8,
        (
            "{p} Football Club",
            "{p} Cricket Club",
            "{p} Rugby Club",
            "{p} Tennis Club",
            "{p} Bowling Club",
            "{p} Running Club",
            "{p} Juniors Football Club",
            "{p} Netball Club",
            "{p} Swimming Club",
            "{p} Boxing Club",
        ),
    ),
    "faith-group": (
        4,
        ("{p} Methodist Church", "{p} Baptist Church", "{p} Quaker Meeting", "{p} Parish Church"),
    ),
    "food-bank": (
        2,
        ("{p} Food Bank", "{p} Community Pantry", "{p} Community Fridge", "{p} Soup Kitchen"),
    ),
    "library": (1.5, ("{p} Library", "{p} Community Library")),
    "community-hub": (3, ("{p} Community Hub", "{p} Community Centre", "{p} Wellbeing Hub")),
    "leisure-centre": (1, ("{p} Leisure Centre", "{p} Swimming Pool", "{p} Sports Centre")),
    "childrens-centre": (1, ("{p} Children's Centre", "{p} Family Hub", "{p} Sure Start")),
    "health": (6, ("{p} Medical Centre", "{p} Pharmacy", "{p} Health Centre", "{p} Surgery")),
    "mental-health": (1, ("{p} Talking Therapies", "{p} Recovery College", "{p} Safe Haven")),
    "school": (
        6,
        (
            "{p} Primary School",
            "{p} High School",
            "St {t}'s Primary School",
            "{p} Nursery",
            "{p} Academy",
            "{p} College",
        ),
    ),
    "advice": (2, ("Citizens Advice {p}", "{p} Jobcentre", "{p} Welfare Rights", "{p} Law Centre")),
    "public-service": (2, ("{p} Fire Station", "{p} Police Station", "{p} Town Hall")),
    "council-building": (2, ("{p} Council Offices", "{p} Depot", "{s} Offices")),
    "council-land": (2, ("Land at {s}", "{p} Car Park", "{s} Verge")),
    "community-building": (4, ("{p} Village Hall", "{p} Scout Hut", "{s} Community Centre")),
    "green-space": (
        7,
        (
            "{p} Park",
            "{p} Recreation Ground",
            "{p} Playing Fields",
            "{p} Nature Reserve",
            "{p} Memorial Gardens",
            "{p} Woods",
            "{p} Common",
        ),
    ),
    "play-space": (3, ("{p} Play Area", "{p} Playground", "{s} Play Area", "{p} Skate Park")),
    "allotment": (1.5, ("{p} Allotments", "{s} Allotments", "{p} Community Orchard")),
    "place-of-worship": (
        5,
        (
            "St {t}'s Church",
            "{p} Mosque",
            "{p} Gurdwara",
            "{p} Synagogue",
            "{p} Hindu Temple",
            "{p} United Reformed Church",
        ),
    ),
    "sports-facility": (3, ("{p} Tennis Courts", "{p} Multi-use Games Area", "{p} Bowling Green")),
    "toilets": (0.5, ("{p} Public Toilets", "{s} Toilets")),
    "social-enterprise": (2, ("{p} Repair Café", "{p} Community Shop", "{p} Bike Kitchen")),
    "business": (
        8,
        (
            "{p} Café",
            "{p} Bakery",
            "{s} Stores",
            "{p} Post Office",
            "{p} Hardware",
            "{s} Barbers",
        ),
    ),
    "cooperative": (1, ("{p} Co-operative", "{p} Credit Union", "{p} Community Energy")),
    "arts-culture": (3, ("{p} Arts Centre", "{p} Theatre", "{p} Choir", "{p} Brass Band")),
    "heritage": (1.5, ("{p} Museum", "{p} War Memorial", "{p} Heritage Centre", "{p} Old Mill")),
    "grant-programme": (0.5, ("{p} Community Fund", "{p} Small Grants", "{p} Ward Fund")),
    "skill": (1, ("Gardening help in {p}", "Lifts to {p} shops", "Sewing and mending")),
}

_ACTIVITIES = [
    "coffee mornings",
    "football training",
    "food parcels",
    "advice sessions",
    "homework club",
    "bingo",
    "chair yoga",
    "knitting",
    "gardening",
    "walking",
    "toddler groups",
    "youth nights",
    "hot meals",
    "debt advice",
    "English classes",
    "computer help",
    "choir practice",
    "bike repairs",
    "dementia cafés",
    "swimming lessons",
    "warm space",
    "film nights",
    "craft sessions",
    "litter picks",
    "tree planting",
    "carers support",
    "job clubs",
    "tea dances",
    "art classes",
    "reading groups",
    "baby massage",
    "breakfast club",
    "boxing fitness",
    "wheelchair basketball",
    "walking netball",
    "parkrun",
    "cycling lessons",
    "pottery",
    "woodwork",
    "sewing",
    "quilting",
    "photography",
    "local history talks",
    "family history",
    "drama",
    "street dance",
    "ballet",
    "tap classes",
    "zumba",
    "pilates",
    "tai chi",
    "meditation",
    "bereavement support",
    "peer support",
    "mental health drop-in",
    "benefits advice",
    "housing advice",
    "energy advice",
    "food shopping",
    "community meals",
    "lunch club",
    "soup and a roll",
    "fruit and veg bag",
    "school uniform swap",
    "toy library",
    "book swap",
    "clothes bank",
    "furniture reuse",
    "tool library",
    "seed swap",
    "beekeeping",
    "pond dipping",
    "bird watching",
    "bat walks",
    "guided walks",
    "nature trail",
    "forest school",
    "holiday activities",
    "summer scheme",
    "stay and play",
    "messy play",
    "rhyme time",
    "story time",
    "code club",
    "robotics",
    "chess club",
    "board games",
    "quiz nights",
    "karaoke",
    "open mic",
    "jam sessions",
    "brass band practice",
    "orchestra",
    "ukulele group",
    "steel pans",
    "bell ringing",
    "flower arranging",
    "cake decorating",
    "cookery lessons",
    "healthy eating",
    "weight management",
    "stop smoking support",
    "blood pressure checks",
    "hearing aid clinic",
    "befriending",
    "telephone befriending",
    "shopping trips",
    "day trips",
    "bus outings",
    "men's health",
    "women's group",
    "LGBT youth group",
    "refugee welcome",
    "ESOL",
    "citizenship classes",
    "volunteering",
    "work experience",
    "CV help",
    "interview practice",
    "apprenticeships",
    "enterprise support",
    "repair café",
    "knife crime workshops",
    "sports coaching",
    "cricket nets",
    "tennis coaching",
    "badminton",
    "table tennis",
    "bowls",
    "archery",
    "climbing",
    "kayaking",
    "rowing",
    "sailing",
    "angling",
    "allotment plots",
    "community orchard",
    "scouts",
    "guides",
    "brownies",
    "cadets",
    "duke of edinburgh award",
]
_AUDIENCES = [
    "everyone",
    "older people",
    "families",
    "children",
    "young people",
    "carers",
    "refugees",
    "new parents",
    "people living alone",
    "disabled people",
    "volunteers",
    "the whole neighbourhood",
]
_OPENERS = ("Runs", "Offers", "Hosts", "Provides", "Organises")


@dataclass
class Places:
    names: list[str]
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray  # thousands
    codes: list[str]  # postcode-like outward area letters

    @property
    def spread_deg(self) -> np.ndarray:
        """How far a place's assets spread (a standard deviation, in degrees of latitude)."""
        return 0.6 * self.population**0.4 / 111.0


def make_places(rng: np.random.Generator, villages: int = 3000) -> Places:
    names = [t[0] for t in TOWNS]
    lon = [t[1] for t in TOWNS]
    lat = [t[2] for t in TOWNS]
    pop = [t[3] for t in TOWNS]
    min_lon, min_lat, max_lon, max_lat = EXTENT
    pool = [
        f"{start}{end}{extra}"
        for extra in ("", " Green", " Heath", " Cross", " Magna")
        for start in _STARTS
        for end in _ENDS
    ]
    for pick in rng.choice(len(pool), size=villages, replace=False):
        names.append(pool[pick])
        lon.append(float(rng.uniform(min_lon + 0.3, max_lon - 0.2)))
        lat.append(float(rng.uniform(min_lat + 0.1, max_lat - 0.1)))
        pop.append(float(min(80.0, 1.0 + rng.pareto(1.6) * 3)))
    codes = []
    for name in names:
        letters = "".join(ch for ch in name.upper() if ch.isalpha())
        codes.append(letters[0] + (letters[1] if len(letters) > 1 else "X"))
    return Places(names, np.array(lon), np.array(lat), np.array(pop), codes)


def scatter(
    rng: np.random.Generator, places: Places, n: int, rural_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points: (lon, lat, index of their place), clustered by population, clipped to EXTENT."""
    p = places.population / places.population.sum()
    which = rng.choice(len(p), size=n, p=p)
    spread = places.spread_deg[which]
    lat = places.lat[which] + rng.normal(0, 1, n) * spread
    lon = places.lon[which] + rng.normal(0, 1, n) * spread / np.cos(np.radians(places.lat[which]))
    rural = rng.random(n) < rural_share
    min_lon, min_lat, max_lon, max_lat = EXTENT
    lon[rural] = rng.uniform(min_lon, max_lon, rural.sum())
    lat[rural] = rng.uniform(min_lat, max_lat, rural.sum())
    if rural.any():
        # A rural point belongs to (is named after) the nearest of a handful of random places.
        which[rural] = rng.choice(len(p), size=rural.sum())
    lon = np.clip(lon, min_lon + 1e-6, max_lon - 1e-6)
    lat = np.clip(lat, min_lat + 1e-6, max_lat - 1e-6)
    return lon, lat, which


@dataclass
class SyntheticAssets:
    lon: np.ndarray
    lat: np.ndarray
    name: list[str]
    kind: list[str]
    category: list[str]
    description: list[str]
    address: list[str]
    postcode: list[str]

    def __len__(self) -> int:
        return len(self.name)


def make_assets(n: int, seed: int = SEED) -> SyntheticAssets:
    from livingmap.assets.taxonomy import CATEGORIES

    rng = np.random.default_rng(seed)
    places = make_places(rng)
    lon, lat, which = scatter(rng, places, n, rural_share=0.05)
    slugs = list(CATEGORY_NAMES)
    weights = np.array([CATEGORY_NAMES[s][0] for s in slugs], float)
    cat_idx = rng.choice(len(slugs), size=n, p=weights / weights.sum())
    # Big places have districts of their own ("North Leeds", "Upper Elmford").
    district = rng.random(n) < np.clip(places.population[which] / 400.0, 0, 0.6)
    district_word = rng.integers(0, len(_SUBURB_WORDS), n)
    district_name = rng.integers(0, len(_STARTS), n)
    template_pick = rng.integers(0, 1_000_000, n)
    street_a = rng.integers(0, len(_STREET_FIRST), n)
    street_b = rng.integers(0, len(_STREET_LAST), n)
    house = rng.integers(1, 300, n)
    saint = rng.integers(0, len(_SAINTS), n)
    opener = rng.integers(0, len(_OPENERS), n)
    act1 = rng.integers(0, len(_ACTIVITIES), n)
    act2 = (act1 + rng.integers(1, len(_ACTIVITIES), n)) % len(_ACTIVITIES)
    aud = rng.integers(0, len(_AUDIENCES), n)
    district_no = rng.integers(1, 40, n)
    inward_no = rng.integers(1, 10, n)
    inward_a = rng.integers(0, 26, n)
    inward_b = rng.integers(0, 26, n)
    letters = "ABDEFGHJLNPQRSTUWXYZABCDEFG"
    # Plain Python lists: indexing them in the loop is much faster than indexing arrays.
    (which_l, cat_l, district_l, dword_l, dname_l, tpick_l, sa_l, sb_l, house_l, saint_l) = (
        a.tolist()
        for a in (
            which,
            cat_idx,
            district,
            district_word,
            district_name,
            template_pick,
            street_a,
            street_b,
            house,
            saint,
        )
    )
    (opener_l, act1_l, act2_l, aud_l, dno_l, ino_l, ia_l, ib_l) = (
        a.tolist() for a in (opener, act1, act2, aud, district_no, inward_no, inward_a, inward_b)
    )
    kind_of = {slug: str(CATEGORIES[slug][1]) for slug in slugs}
    n_ends = len(_ENDS)

    names, kinds, cats, descriptions, addresses, postcodes = [], [], [], [], [], []
    for i in range(n):
        w = which_l[i]
        town = places.names[w]
        place = town
        if district_l[i]:
            if dword_l[i] % 2:
                place = f"{_SUBURB_WORDS[dword_l[i]]} {town}"
            else:
                place = _STARTS[dname_l[i]] + _ENDS[(dname_l[i] * 7) % n_ends]
        slug = slugs[cat_l[i]]
        templates = CATEGORY_NAMES[slug][1]
        street = f"{_STREET_FIRST[sa_l[i]]} {_STREET_LAST[sb_l[i]]}"
        names.append(
            templates[tpick_l[i] % len(templates)].format(p=place, s=street, t=_SAINTS[saint_l[i]])
        )
        kinds.append(kind_of[slug])
        cats.append(slug)
        # Three in ten records come without a description, as in real registers.
        described = (tpick_l[i] // 1000) % 10 < 7
        descriptions.append(
            f"{_OPENERS[opener_l[i]]} {_ACTIVITIES[act1_l[i]]} and {_ACTIVITIES[act2_l[i]]} "
            f"for {_AUDIENCES[aud_l[i]]}."
            if described
            else ""
        )
        addresses.append(f"{house_l[i]} {street}, {town}")
        postcodes.append(
            f"{places.codes[w]}{dno_l[i]} {ino_l[i]}{letters[ia_l[i]]}{letters[ib_l[i]]}"
        )
    return SyntheticAssets(lon, lat, names, kinds, cats, descriptions, addresses, postcodes)


@dataclass
class SyntheticAreas:
    codes: list[str]
    names: list[str]
    geometries: list[shapely.Geometry]


def make_areas(n: int, seed: int = SEED) -> SyntheticAreas:
    """n LSOA-like polygons tiling EXTENT: Voronoi cells of population-weighted seed points."""
    rng = np.random.default_rng(seed + 1)
    places = make_places(np.random.default_rng(seed))
    lon, lat, which = scatter(rng, places, n, rural_share=0.15)
    # Identical seeds would merge cells; nudge any repeats apart.
    coords = np.round(np.column_stack([lon, lat]), 7)
    _, first = np.unique(coords, axis=0, return_index=True)
    if len(first) < n:
        dup = np.setdiff1d(np.arange(n), first)
        coords[dup] += rng.normal(0, 1e-4, (len(dup), 2))
    box = shapely.box(*EXTENT)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(coords), extend_to=box, ordered=True)
    )
    cells = shapely.intersection(cells, box)
    counters: dict[int, int] = {}
    codes, names = [], []
    for i in range(len(cells)):
        town = int(which[i])
        counters[town] = counters.get(town, 0) + 1
        number = counters[town]
        codes.append(f"E01{i + 1:06d}")
        names.append(f"{places.names[town]} {(number - 1) // 5 + 1:03d}{'ABCDE'[(number - 1) % 5]}")
    return SyntheticAreas(codes, names, list(cells))
