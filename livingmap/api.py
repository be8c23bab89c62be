"""The JSON API (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs.

Each app adds its routes in its own api.py; this module only puts them together.
"""

from ninja import NinjaAPI

from livingmap.areas.api import router as areas_router
from livingmap.assets.api import router as assets_router

api = NinjaAPI(
    title="Living Map API",
    version="1",
    description=(
        "Assets, areas, neighbourhoods and postcode lookups for the living map. "
        "Individuals' gifts and skills are never returned."
    ),
    urls_namespace="api",
)
api.add_router("/", assets_router)
api.add_router("/", areas_router)
