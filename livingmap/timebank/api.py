"""JSON API routes of the timebank app, mounted by livingmap/api.py."""

from ninja import Router

router = Router(tags=["Time bank"])
