"""Django's admin behind the site's one sign-in door and the second factor.

The admin's own login form is not used: /admin/login/ sends people to the site's sign-in page,
which has the rate limits (accounts/throttle.py), and then to two-factor sign-in. Every admin
page needs a staff account whose session has passed the second factor (as django-otp's
OTPAdminSite does), unless LIVINGMAP_ADMIN_REQUIRE_2FA is off (a local look).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .roles import passed_two_factor


def _passed_second_factor(user: Any) -> bool:
    return not settings.LIVINGMAP_ADMIN_REQUIRE_2FA or passed_two_factor(user)


class LivingMapAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and _passed_second_factor(request.user)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """Never checks a password: a GET or POST here goes to the site's sign-in page (or,
        signed in already, to two-factor sign-in), and comes back to the admin after."""
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = ""
        target = target or reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(target, reverse("account_login"))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("This account cannot use the administration pages.")
        if not _passed_second_factor(user):
            from urllib.parse import urlencode

            return redirect(f"{reverse('account_two_factor')}?{urlencode({'next': target})}")
        return redirect(target)
