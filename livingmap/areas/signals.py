"""Signals other apps listen to. The areas app knows nothing of them (dependencies point one way)."""

from django.dispatch import Signal

#: Sent after boundaries are created or changed, with `areas`: the Area rows affected.
#: The assets app recomputes which areas its assets are in.
boundaries_changed = Signal()
