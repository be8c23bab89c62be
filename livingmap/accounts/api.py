"""JSON API routes of the accounts app, mounted by livingmap/api.py."""

from ninja import Router

router = Router(tags=["Accounts"])
