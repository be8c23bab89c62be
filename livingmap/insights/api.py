"""JSON API routes of the insights app, mounted by livingmap/api.py."""

from ninja import Router

router = Router(tags=["Insights"])
