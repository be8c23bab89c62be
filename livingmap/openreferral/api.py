"""JSON API routes of the openreferral app, mounted by livingmap/api.py."""

from ninja import Router

router = Router(tags=["Open Referral"])
