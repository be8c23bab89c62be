import pytest

from livingmap.assets.models import Asset

pytestmark = pytest.mark.django_db


def test_the_same_library_from_three_files_is_one_asset_with_three_sources():
    library = Asset.objects.get(name="Altrincham Library")
    datasets = sorted(s.dataset.slug for s in library.sources.all())
    assert datasets == [
        "trafford-council-land-and-buildings",
        "trafford-council-libraries",
        "trafford-data-lab-libraries",
    ]
    levels = {link.area.level for link in library.area_links.select_related("area")}
    assert {"lad", "ward", "msoa", "lsoa", "oa", "neighbourhood"} <= levels
