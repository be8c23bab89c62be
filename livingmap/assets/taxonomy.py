"""Living Map's category taxonomy: the words residents use for kinds of asset.

Every importer maps its source's types onto these slugs; `ensure_taxonomy()` creates any that are
missing, so adding a category is one line here.
"""

from __future__ import annotations

from .models import AssetKind, Category

K = AssetKind
#: slug -> (name, kind, description)
CATEGORIES: dict[str, tuple[str, str, str]] = {
    # Community groups and associations
    "community-group": ("Community groups", K.ASSOCIATION, "Groups residents run together."),
    "charity": ("Charities", K.ASSOCIATION, "Registered charities working in the area."),
    "sports-club": ("Sports clubs", K.ASSOCIATION, "Clubs for playing and coaching sport."),
    "faith-group": ("Faith groups", K.ASSOCIATION, "Congregations and faith communities."),
    "food-bank": ("Food banks and food support", K.ASSOCIATION, "Emergency food and help."),
    # Services and institutions
    "library": ("Libraries", K.INSTITUTION, "Public libraries."),
    "community-hub": ("Community hubs", K.INSTITUTION, "Places to get help and meet."),
    "leisure-centre": ("Leisure centres", K.INSTITUTION, "Pools, gyms and sports halls."),
    "childrens-centre": (
        "Children's centres",
        K.INSTITUTION,
        "Help for families with young children.",
    ),
    "health": ("Health services", K.INSTITUTION, "GP practices, pharmacies and clinics."),
    "gp-practice": ("GP practices", K.INSTITUTION, "Family doctors' surgeries."),
    "pharmacy": ("Pharmacies", K.INSTITUTION, "Chemists: medicines and health advice."),
    "mental-health": ("Mental health support", K.INSTITUTION, "Services for mental health."),
    "school": ("Schools and colleges", K.INSTITUTION, "Schools, colleges and nurseries."),
    "advice": ("Advice and employment", K.INSTITUTION, "Advice, benefits and job help."),
    "post-office": ("Post offices", K.INSTITUTION, "Post, parcels, cash and bill payments."),
    "public-service": ("Other public services", K.INSTITUTION, "Other public services."),
    # Buildings, land and green space
    "council-building": ("Council buildings", K.PHYSICAL, "Buildings the council owns."),
    "council-land": ("Council land", K.PHYSICAL, "Land the council owns."),
    "community-building": ("Community buildings", K.PHYSICAL, "Halls and centres to use."),
    "green-space": ("Parks and green spaces", K.PHYSICAL, "Parks, gardens, playing fields."),
    "play-space": ("Play areas", K.PHYSICAL, "Playgrounds and play areas."),
    "allotment": ("Allotments", K.PHYSICAL, "Allotment sites for growing food."),
    "place-of-worship": ("Places of worship", K.PHYSICAL, "Churches, mosques, temples and more."),
    "sports-facility": ("Sports facilities", K.PHYSICAL, "Pitches, courts, pools and halls."),
    "toilets": ("Public toilets", K.PHYSICAL, "Toilets open to the public."),
    "cemetery": ("Cemeteries", K.PHYSICAL, "Cemeteries and burial grounds."),
    # Local economy
    "social-enterprise": ("Social enterprises", K.ECONOMY, "Businesses with a social purpose."),
    "business": ("Local businesses", K.ECONOMY, "Shops, cafés and other local firms."),
    "cooperative": ("Co-operatives and mutuals", K.ECONOMY, "Owned by members."),
    # Culture and heritage
    "arts-culture": ("Arts and culture", K.CULTURE, "Theatres, galleries, arts groups."),
    "heritage": ("Heritage", K.CULTURE, "Museums, monuments and historic places."),
    # Money
    "grant-programme": ("Grants and funds", K.MONEY, "Money groups can apply for."),
    # People's gifts and skills (private)
    "skill": ("Gifts and skills", K.GIFTS, "What a person can share (private)."),
}


def ensure_taxonomy() -> dict[str, Category]:
    """Create or update every category; returns them by slug."""
    existing = {c.slug: c for c in Category.objects.all()}
    for slug, (name, kind, description) in CATEGORIES.items():
        current = existing.get(slug)
        if current is None:
            existing[slug] = Category.objects.create(
                slug=slug, name=name, kind=kind, description=description
            )
        elif (current.name, current.kind, current.description) != (name, kind, description):
            current.name, current.kind, current.description = name, kind, description
            current.save()
    return existing
