"""A receiver, connected by importing this module (listed in SampleAppConfig.receivers)."""

from typing import Any

from django.dispatch import receiver

from .signals import poked


@receiver(poked, dispatch_uid="sample_app_poked")
def on_poked(sender: object, **kwargs: Any) -> str:
    return "the sample app heard it"
