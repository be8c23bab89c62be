"""Forms of the accounts app: every one refuses bad input with a message for people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.mail import EmailMessage
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest
from django.template import loader

from livingmap.areas.selectors import PostcodeNotFound, current_area, point_for_postcode
from livingmap.assets.models import AssetKind, Category
from livingmap.assets.records import ASSET_SCHEMA
from livingmap.assets.records import EDITABLE_FIELDS as ASSET_EDITABLE_FIELDS
from livingmap.core.records import form_field
from livingmap.core.text import PostcodeError, normalise_postcode

from .outbox import send_after_response
from .selectors import account_for_email

User = get_user_model()


#: Django's own wording, replaced by GOV.UK-style messages that name the field.
_DJANGO_REQUIRED = str(forms.Field.default_error_messages["required"])


class ErrorListMixin:
    """Adds the (field id, message) list the GOV.UK error summary shows, and GOV.UK-style
    messages that name the field ("Enter your name", not "This field is required.").

    `govuk_errors` gives a form's own messages by field and code; otherwise a required field
    says "Enter <its label>", an over-long one "<Label> must be N characters or fewer"."""

    govuk_errors: dict[str, dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = str(field.label or name.replace("_", " ").capitalize()).replace("%", "%%")
            messages = field.error_messages
            if str(messages.get("required")) == _DJANGO_REQUIRED:
                messages["required"] = f"Enter {label[:1].lower()}{label[1:]}"
            if getattr(field, "max_length", None):
                messages["max_length"] = f"{label} must be {field.max_length:,} characters or fewer"
            if isinstance(field, forms.EmailField):
                messages["invalid"] = (
                    "Enter an email address in the correct format, like name@example.com"
                )
            elif isinstance(field, forms.URLField):
                messages["invalid"] = (
                    "Enter a web address in the correct format, like https://www.example.org"
                )
            messages.update(self.govuk_errors.get(name, {}))

    @property
    def error_list(self) -> list[tuple[str, str]]:
        items = []
        for name in self.fields:
            for message in self.errors.get(name, []):
                items.append((f"id_{name}", message))
        first = f"id_{next(iter(self.fields))}" if self.fields else "main-content"
        for message in self.non_field_errors():
            items.append((first, message))
        return items


class GovForm(ErrorListMixin, forms.Form):
    pass


class GovPasswordResetForm(ErrorListMixin, PasswordResetForm):
    """Django's password reset (by email, matched case-insensitively; never says whether an
    address has an account). An account whose email address was never confirmed cannot use a
    reset link, so it is sent a new confirmation link instead. The email goes after the
    response (`outbox`), so the page takes as long whether or not an email was sent."""

    govuk_errors = {"email": {"required": "Enter your email address"}}

    def save(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().save(*args, request=request, **kwargs)
        if request is not None:
            from .services import resend_confirmation

            resend_confirmation(email=self.cleaned_data["email"], base_url=_base_url(request))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_after_response(EmailMessage(subject, body, from_email, [to_email]))


class GovSetPasswordForm(ErrorListMixin, SetPasswordForm):
    govuk_errors = {
        "new_password1": {"required": "Enter a new password"},
        "new_password2": {"required": "Confirm your new password"},
    }


def _base_url(request: HttpRequest) -> str:
    """'https://map.example.org': where links in emails point."""
    return request.build_absolute_uri("/").rstrip("/")


class SignUpForm(GovForm):
    """Sign-up asks only for the email address: the name and password are chosen on the page
    the emailed link opens (`CreateAccountForm`), by whoever can read that address's email."""

    email = forms.EmailField(label="Email address", max_length=254)
    govuk_errors = {"email": {"required": "Enter your email address"}}

    def clean_email(self) -> str:
        # Whether the address already has an account is not said here (that would tell anyone
        # who has an account): services.sign_up emails the address either way.
        return self.cleaned_data["email"].strip().lower()


class CreateAccountForm(GovForm):
    """The page a confirmation link opens: the account's name and password (Django's password
    validators, which compare it with the address too)."""

    name = forms.CharField(label="Your name", max_length=150)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(
        label="Confirm password", widget=forms.PasswordInput, max_length=128
    )
    govuk_errors = {
        "name": {"required": "Enter your name"},
        "password1": {"required": "Enter a password"},
        "password2": {"required": "Confirm your password"},
    }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The passwords do not match.")
        elif p1:
            user = User(
                username=self.user.get_username(),
                email=self.user.email,
                first_name=data.get("name", ""),
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ResendConfirmationForm(GovForm):
    email = forms.EmailField(label="Email address", max_length=254)
    govuk_errors = {"email": {"required": "Enter your email address"}}


class LoginForm(ErrorListMixin, AuthenticationForm):
    """Sign in with an email address, matched case-insensitively (an account made with
    `createsuperuser --username QA2@Example.org` signs in as qa2@example.org too). An account
    waiting for confirmation has no password until its link is followed, so it is refused as any
    wrong password is; one signed up before that rule, with the right password, is told to
    confirm."""

    username = forms.CharField(label="Email address", max_length=254)
    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "Confirm your email address first: follow the link we sent you.",
    }
    govuk_errors = {
        "username": {"required": "Enter your email address"},
        "password": {"required": "Enter your password"},
    }

    def clean(self) -> dict[str, Any]:
        from .services import is_unconfirmed

        typed = (self.cleaned_data.get("username") or "").strip()
        user = account_for_email(typed) if typed else None
        # Django's backend matches the username exactly: hand it the account's own spelling.
        self.cleaned_data["username"] = user.get_username() if user else typed.lower()
        password = self.cleaned_data.get("password")
        if (
            user is not None
            and password
            and not user.is_active
            and user.check_password(password)
            and is_unconfirmed(user)
        ):
            raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return super().clean()

    @property
    def error_list(self) -> list[tuple[str, str]]:
        return [("id_username", m) for m in self.non_field_errors()] + [
            (f"id_{n}", m) for n in self.fields for m in self.errors.get(n, [])
        ]


def _category_choices() -> list[tuple[str, str]]:
    """Categories of public assets (never the private gifts-and-skills ones)."""
    return list(
        Category.objects.exclude(kind=AssetKind.GIFTS).order_by("name").values_list("slug", "name")
    )


def _postcode_key(text: str) -> str:
    return "".join((text or "").split()).upper()


def _asset_form_fields() -> dict[str, Any]:
    """The form fields for the assets schema's editable fields (livingmap/assets/records.py)."""
    fields = {}
    for name in ASSET_EDITABLE_FIELDS:
        overrides: dict[str, Any] = {}
        if name == "kind":  # people never add individuals' gifts and skills here
            overrides["choices"] = [c for c in AssetKind.choices if c[0] != AssetKind.GIFTS]
        fields[name] = form_field(ASSET_SCHEMA[name], **overrides)
    return fields


#: The schema's editable fields as a form (Django's form metaclass collects them).
_AssetFields = type("_AssetFields", (GovForm,), {"__module__": __name__, **_asset_form_fields()})


class AssetForm(_AssetFields):  # type: ignore[valid-type, misc]
    """The public fields of an asset, for editing, suggesting and adding."""

    govuk_errors = {
        "name": {"required": "Enter the name"},
        "kind": {"required": "Choose what kind of asset it is"},
    }

    def __init__(self, *args: Any, current_postcode: str = "", **kwargs: Any) -> None:
        """`current_postcode`: the asset's postcode now, accepted unchanged even where it is
        not in the postcode table (many charities in the demo are registered outside it)."""
        super().__init__(*args, **kwargs)
        self.current_postcode = current_postcode or ""
        self.fields["categories"].choices = _category_choices()
        for field in self.fields.values():
            field.validators.append(ProhibitNullCharactersValidator())

    def clean_postcode(self) -> str:
        text = self.cleaned_data.get("postcode", "").strip()
        if not text:
            return ""
        if self.current_postcode and _postcode_key(text) == _postcode_key(self.current_postcode):
            return self.current_postcode
        try:
            point_for_postcode(text)
        except PostcodeError as exc:
            example = current_area().example_postcode
            raise forms.ValidationError(
                f"Enter a real postcode, like {example}" if example else "Enter a real postcode"
            ) from exc
        except PostcodeNotFound as exc:
            raise forms.ValidationError(str(exc)) from exc
        return normalise_postcode(text)

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.ASSET_FIELDS}

    ASSET_FIELDS = ASSET_EDITABLE_FIELDS


class EditAssetForm(AssetForm):
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(label="What changed and why", max_length=500, required=False)


class SuggestForm(AssetForm):
    """A suggestion: someone not signed in leaves an email address for the reply."""

    note = forms.CharField(
        label="Anything else we should know",
        widget=forms.Textarea,
        required=False,
        max_length=2000,
    )
    your_email = forms.EmailField(label="Your email address", max_length=254, required=False)
    #: A honeypot: hidden from people, filled in by spam robots.
    homepage = forms.CharField(label="Leave this blank", required=False, max_length=200)

    def __init__(self, *args: Any, anonymous: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.anonymous = anonymous
        if not anonymous:
            del self.fields["your_email"]

    def clean_your_email(self) -> str:
        email = self.cleaned_data.get("your_email", "")
        if self.anonymous and not email:
            raise forms.ValidationError(
                "Enter your email address, so we can tell you what happens to your suggestion."
            )
        return email

    def clean_homepage(self) -> str:
        if self.cleaned_data.get("homepage"):
            raise forms.ValidationError("This suggestion looks automated, so it was not sent.")
        return ""


class ClaimForm(GovForm):
    role = forms.CharField(label="Your role in the group", max_length=200)
    message = forms.CharField(
        label="How can we check you run it?",
        widget=forms.Textarea,
        required=False,
        max_length=2000,
    )


class ReasonForm(GovForm):
    reason = forms.CharField(
        label="Reason (sent to the person)", widget=forms.Textarea, max_length=2000
    )
    govuk_errors = {"reason": {"required": "Enter the reason"}}


class MergeForm(GovForm):
    target = forms.UUIDField(label="The existing asset to merge into")
    govuk_errors = {
        "target": {
            "required": "Choose one of the existing assets listed.",
            "invalid": "Choose one of the existing assets listed.",
        }
    }


class TokenForm(GovForm):
    otp_token = forms.RegexField(
        label="Code from your authenticator app",
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": "Enter the 6-digit code from your authenticator app."},
    )
    govuk_errors = {
        "otp_token": {"required": "Enter the 6-digit code from your authenticator app."}
    }


class PersonalAssetForm(GovForm):
    name = forms.CharField(label="Your gift or skill", max_length=300)
    description = forms.CharField(widget=forms.Textarea, required=False, max_length=2000)
    consent_to_connectors = forms.BooleanField(
        label="Community connectors and officers may see this, to connect me with people",
        required=False,
    )


class ConsentForm(GovForm):
    consent_to_connectors = forms.BooleanField(
        label="Community connectors and officers may see this", required=False
    )


class EraseForm(GovForm):
    password = forms.CharField(
        label="Your password, to confirm", widget=forms.PasswordInput, max_length=128
    )
    govuk_errors = {"password": {"required": "Enter your password"}}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("The password is not right.")
        return password
