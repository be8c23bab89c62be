from django.http import HttpRequest
from django.urls import reverse


def account(request: HttpRequest) -> dict[str, object]:
    """The account links in the header: sign in, or the person's account and sign out."""
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    return {
        "account_links": {
            "signed_in": signed_in,
            "name": (user.get_full_name() or user.get_username()) if signed_in else "",
            "account_url": reverse("account_home"),
            "login_url": reverse("account_login"),
            "logout_url": reverse("account_logout"),
            "signup_url": reverse("account_signup"),
        }
    }
