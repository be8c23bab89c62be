"""Pages of the accounts app: thin — read the request, ask `guard`/`can`, call a service."""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from livingmap.areas.selectors import PostcodeNotFound
from livingmap.assets.models import Asset, AssetKind
from livingmap.core import selectors as job_selectors
from livingmap.core.text import PostcodeError

from . import selectors, services, throttle
from .forms import (
    ClaimForm,
    ConsentForm,
    CreateAccountForm,
    EditAssetForm,
    EraseForm,
    GovPasswordResetForm,
    GovSetPasswordForm,
    LoginForm,
    MergeForm,
    PersonalAssetForm,
    ReasonForm,
    ResendConfirmationForm,
    SignUpForm,
    SuggestForm,
    TokenForm,
)
from .guards import guard, rate_limited, too_many
from .models import (
    AccessLog,
    AssetChange,
    Claim,
    PersonalAsset,
    ReviewReminder,
    Status,
    Suggestion,
)
from .permissions import can
from .roles import needs_two_factor

User = get_user_model()


def _public_asset(uuid: Any) -> Asset:
    return get_object_or_404(Asset.objects.public(), uuid=uuid)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _invalid(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context, status=400)


# -- sign up, verify, sign in ----------------------------------------------------------------


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if rate_limited(request, "signup"):
            return too_many(request, "sign-up attempts")
        form = SignUpForm(request.POST)
        if not form.is_valid():
            return _invalid(request, "accounts/signup.html", {"form": form})
        # The same page follows whether or not the address has an account (the email says).
        services.sign_up(email=form.cleaned_data["email"], base_url=_base_url(request))
        return redirect("account_signup_done")
    return render(request, "accounts/signup.html", {"form": SignUpForm()})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_done.html")


@require_http_methods(["GET", "POST"])
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    """Send the link to confirm an email address again. The answer is the same whatever the
    address, so nobody can use it to find out who has an account."""
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, "signup"):
            return too_many(request, "requests for a link")
        if not form.is_valid():
            return _invalid(request, "accounts/resend_confirmation.html", {"form": form})
        services.resend_confirmation(email=form.cleaned_data["email"], base_url=_base_url(request))
        return redirect("account_resend_confirmation_done")
    return render(request, "accounts/resend_confirmation.html", {"form": form})


def resend_confirmation_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/resend_confirmation_done.html")


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The page a confirmation link opens: whoever can read the address's email chooses the
    account's name and password here, and that confirms the address (a GET changes nothing, so
    link scanners cannot confirm). The link works once, only for an account waiting for it."""
    try:
        user = services.user_from_confirmation_token(token)
    except (signing.BadSignature, User.DoesNotExist, TypeError, ValueError):
        return render(request, "accounts/verify_failed.html", status=400)
    if not services.is_unconfirmed(user):  # confirmed already, or an administrator's to turn on
        return render(request, "accounts/verify_failed.html", status=400)
    form = CreateAccountForm(request.POST if request.method == "POST" else None, user=user)
    context = {"person": user, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(request, "accounts/verify_email.html", context)
        if not services.confirm_email(
            user=user, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
        ):
            return render(request, "accounts/verify_failed.html", status=400)
        messages.success(
            request, "Your account is ready. Sign in with your email address and new password."
        )
        return redirect("account_login")
    return render(request, "accounts/verify_email.html", context)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Counted and refused before the password is checked (accounts/throttle.py).
        self.attempt = throttle.SignInAttempt(request, request.POST.get("username", ""))
        if (over := self.attempt.refusal()) is not None:
            return too_many(request, "sign-in attempts", throttle.refusal_message(over))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        throttle.remember_device(response, form.get_user())
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        if getattr(self, "attempt", None) is not None:
            self.attempt.failed()
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = GovPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if rate_limited(request, "password_reset"):
            return too_many(request, "password reset requests")
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = GovSetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        # Only the person can open the emailed link: this browser may sign in to the account
        # even while strangers' wrong passwords hold back new devices (accounts/throttle.py).
        response = super().form_valid(form)
        throttle.remember_device(response, form.user)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/home.html",
        {
            "assets": selectors.assets_run_by(user),
            "claims": Claim.objects.filter(user=user).select_related("asset")[:20],
            "suggestions": Suggestion.objects.filter(user=user).select_related("asset")[:20],
            "records": PersonalAsset.objects.filter(person=user).select_related("asset"),
            "can_moderate": can(user, "moderation.view_queue"),
            "can_add": can(user, "asset.add"),
            "is_officer": can(user, "officer.freshness"),
            "needs_two_factor": needs_two_factor(user),
        },
    )


# -- two-factor sign-in ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (a QR code, drawn here as SVG), or enter today's code."""
    import segno
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, "two_factor", by_user=True):
            return too_many(request, "codes")
        wait = _two_factor_wait(device)
        if form.is_valid() and wait:
            # django-otp will not check any code until the pause after a wrong one is over:
            # say so, rather than calling a right code wrong.
            form.add_error(
                "otp_token",
                f"Wait {wait} second{'s' if wait != 1 else ''}, then enter the new code "
                "your app shows.",
            )
        elif form.is_valid() and device.verify_token(form.cleaned_data["otp_token"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_safe_next(request, reverse("account_home")))
        elif form.is_valid():
            form.add_error(
                "otp_token", "That code is not right. Enter the code your app shows now."
            )
    context: dict[str, Any] = {
        "form": form,
        "setting_up": setting_up,
        "next": _safe_next(request, ""),
    }
    if setting_up:
        qr = segno.make(device.config_url, error="m")
        context["qr_svg"] = qr.svg_inline(scale=4, title="QR code for your authenticator app")
        context["secret"] = device.config_url.split("secret=")[1].split("&")[0]
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)


def _two_factor_wait(device: Any) -> int:
    """Seconds until django-otp will check a code again after wrong ones (0: it will now)."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return 0
    return max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))


# -- editing, claiming, suggesting -----------------------------------------------------------


def _asset_form_initial(asset: Asset) -> dict[str, Any]:
    return {**services.snapshot(asset), "version": services.version_of(asset)}


@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, uuid: Any) -> HttpResponse:
    asset = get_object_or_404(Asset.objects.exclude(kind=AssetKind.GIFTS), uuid=uuid)
    if (stop := guard(request, "asset.edit", asset)) is not None:
        return stop
    if request.method == "POST":
        form = EditAssetForm(request.POST, current_postcode=asset.postcode)
        if form.is_valid():
            try:
                change = services.edit_asset(
                    asset_id=asset.pk,
                    user=request.user,
                    values=form.values(),
                    version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )
            except services.EditConflict as conflict:
                # Keep what this person typed, but against the version now stored: saving
                # again is a decision made having seen the other change.
                data = request.POST.copy()
                data["version"] = services.version_of(conflict.asset)
                return render(
                    request,
                    "accounts/asset_edit.html",
                    {
                        "asset": conflict.asset,
                        "form": EditAssetForm(data, current_postcode=conflict.asset.postcode),
                        "conflict": conflict.changes,
                        "labels": services.FIELD_LABELS,
                    },
                    status=409,
                )
            if change is None:
                messages.info(request, "You did not change anything, so nothing was saved.")
            else:
                messages.success(request, "Your changes are saved.")
            return redirect(asset.get_absolute_url())
        return _invalid(request, "accounts/asset_edit.html", {"asset": asset, "form": form})
    form = EditAssetForm(initial=_asset_form_initial(asset), current_postcode=asset.postcode)
    return render(request, "accounts/asset_edit.html", {"asset": asset, "form": form})


@require_http_methods(["GET", "POST"])
def asset_add(request: HttpRequest) -> HttpResponse:
    if (stop := guard(request, "asset.add")) is not None:
        return stop
    from .forms import AssetForm

    form = AssetForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(request, "accounts/asset_add.html", {"form": form})
        asset = services.create_asset(user=request.user, values=form.values())
        messages.success(request, f"{asset.name} is on the map.")
        return redirect(asset.get_absolute_url())
    return render(request, "accounts/asset_add.html", {"form": form})


@require_http_methods(["GET", "POST"])
def asset_claim(request: HttpRequest, uuid: Any) -> HttpResponse:
    asset = _public_asset(uuid)
    if (stop := guard(request, "asset.claim", asset)) is not None:
        return stop
    form = ClaimForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, "claim"):
            return too_many(request, "claims")
        if not form.is_valid():
            return _invalid(request, "accounts/claim.html", {"asset": asset, "form": form})
        services.submit_claim(user=request.user, asset=asset, **form.cleaned_data)
        messages.success(request, "Thank you. An officer will check your claim and email you.")
        return redirect(asset.get_absolute_url())
    return render(request, "accounts/claim.html", {"asset": asset, "form": form})


def _suggest(request: HttpRequest, asset: Asset | None) -> HttpResponse:
    anonymous = not request.user.is_authenticated
    initial = services.snapshot(asset) if asset else {}
    form = SuggestForm(
        request.POST or None,
        initial=initial,
        anonymous=anonymous,
        current_postcode=asset.postcode if asset else "",
    )
    context = {"asset": asset, "form": form}
    if request.method == "POST":
        if rate_limited(request, "suggest"):
            return too_many(request, "suggestions")
        if not form.is_valid():
            return _invalid(request, "accounts/suggest.html", context)
        proposed = form.values()
        if asset is not None and not services.diff(initial, proposed):
            form.add_error(None, "You have not changed anything. Change a detail, then send it.")
            return _invalid(request, "accounts/suggest.html", context)
        services.submit_suggestion(
            asset=asset,
            proposed=proposed,
            user=request.user,
            email=form.cleaned_data.get("your_email", ""),
            note=form.cleaned_data["note"],
        )
        # Post/redirect/get: refreshing the page that follows sends nothing again.
        if asset is not None:
            return redirect("asset_suggest_done", uuid=asset.uuid)
        return redirect("asset_suggest_new_done")
    return render(request, "accounts/suggest.html", context)


@require_http_methods(["GET", "POST"])
def asset_suggest(request: HttpRequest, uuid: Any) -> HttpResponse:
    return _suggest(request, _public_asset(uuid))


@require_http_methods(["GET", "POST"])
def asset_suggest_new(request: HttpRequest) -> HttpResponse:
    return _suggest(request, None)


def asset_suggest_done(request: HttpRequest, uuid: Any = None) -> HttpResponse:
    asset = _public_asset(uuid) if uuid is not None else None
    return render(request, "accounts/suggest_done.html", {"asset": asset})


# -- history and verification ----------------------------------------------------------------


def asset_history(request: HttpRequest, uuid: Any) -> HttpResponse:
    asset = get_object_or_404(Asset.objects.exclude(kind=AssetKind.GIFTS), uuid=uuid)
    if (stop := guard(request, "asset.view_history", asset)) is not None:
        return stop
    return render(
        request,
        "accounts/history.html",
        {
            "asset": asset,
            "changes": selectors.history(asset)[:200],
            "labels": services.FIELD_LABELS,
            "can_revert": can(request.user, "asset.revert", asset),
        },
    )


@require_POST
def asset_revert(request: HttpRequest, uuid: Any, pk: int) -> HttpResponse:
    change = get_object_or_404(AssetChange, pk=pk, asset__uuid=uuid)
    if (stop := guard(request, "asset.revert", change.asset)) is not None:
        return stop
    services.revert_change(change=change, user=request.user)
    messages.success(request, "The change was reverted.")
    return redirect("asset_history", uuid=uuid)


@require_POST
def asset_verify(request: HttpRequest, uuid: Any) -> HttpResponse:
    asset = get_object_or_404(Asset.objects.exclude(kind=AssetKind.GIFTS), uuid=uuid)
    if (stop := guard(request, "asset.verify", asset)) is not None:
        return stop
    services.verify_asset(asset=asset, user=request.user, via="Asset page")
    messages.success(request, "Thank you: we have recorded that these details are still correct.")
    return redirect(asset.get_absolute_url())


@require_http_methods(["GET", "POST"])
def still_correct(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link in a reminder: GET shows a button (so link scanners change nothing);
    POST records that the details are still correct."""
    try:
        reminder = services.reminder_from_token(token)
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        return render(request, "accounts/verify_failed.html", status=400)
    except ReviewReminder.DoesNotExist as exc:  # the asset was deleted since
        raise Http404("This reminder no longer exists.") from exc
    if request.method == "POST":
        services.verify_asset(asset=reminder.asset, user=request.user, via="Reminder email")
        return render(request, "accounts/still_correct_done.html", {"asset": reminder.asset})
    return render(request, "accounts/still_correct.html", {"asset": reminder.asset})


# -- moderation ------------------------------------------------------------------------------


def moderation_queue(request: HttpRequest) -> HttpResponse:
    if (stop := guard(request, "moderation.view_queue")) is not None:
        return stop
    officer = can(request.user, "claim.decide")
    return render(
        request,
        "accounts/moderation_queue.html",
        {
            "suggestions": selectors.moderation_queue(request.user)[:200],
            "claims": selectors.pending_claims()[:200] if officer else [],
            "officer": officer,
        },
    )


def _diff_rows(suggestion: Suggestion) -> list[tuple[str, Any, Any]]:
    """(field label, value now, value proposed), each value in the words people use: a kind's
    label, categories' names."""
    from livingmap.assets.models import Category

    current = services.snapshot(suggestion.asset) if suggestion.asset_id else {}
    slugs = {
        slug
        for values in (suggestion.proposed, current)
        for slug in (values.get("categories") or [])
    }
    names = dict(Category.objects.filter(slug__in=slugs).values_list("slug", "name"))
    kinds = dict(AssetKind.choices)

    def shown(field: str, value: Any) -> Any:
        if field == "kind":
            return kinds.get(value, value)
        if field == "categories":
            return sorted(names.get(slug, slug) for slug in value or [])
        return value

    rows = []
    for field, new in suggestion.proposed.items():
        old = current.get(field) if suggestion.asset_id else ""
        if suggestion.asset_id and not services.diff({field: old}, {field: new}):
            continue  # the same already (categories in another order, or changed meanwhile)
        label = services.FIELD_LABELS.get(field, field)
        rows.append((label, shown(field, old), shown(field, new)))
    return rows


@require_http_methods(["GET", "POST"])
def moderation_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = get_object_or_404(Suggestion.objects.select_related("asset", "user"), pk=pk)
    if (stop := guard(request, "suggestion.decide", suggestion)) is not None:
        return stop
    if suggestion.status != Status.PENDING:
        messages.info(
            request, f"This suggestion was already decided: {suggestion.get_status_display()}."
        )
        return redirect("moderation_queue")
    reject_form, merge_form = ReasonForm(), MergeForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "approve":
            try:
                services.approve_suggestion(suggestion=suggestion, moderator=request.user)
            except (PostcodeError, PostcodeNotFound) as exc:  # a postcode retired since
                messages.error(request, f"It could not be approved: {exc}")
                return redirect("moderation_suggestion", pk=pk)
            messages.success(request, "The suggestion was approved and is on the map.")
            return redirect("moderation_queue")
        if action == "reject":
            reject_form = ReasonForm(request.POST)
            if reject_form.is_valid():
                services.reject_suggestion(
                    suggestion=suggestion,
                    moderator=request.user,
                    reason=reject_form.cleaned_data["reason"],
                )
                messages.success(request, "The suggestion was rejected and the reason sent.")
                return redirect("moderation_queue")
        elif action == "merge":
            if (stop := guard(request, "suggestion.merge", suggestion)) is not None:
                return stop
            merge_form = MergeForm(request.POST)
            if merge_form.is_valid():
                target = (
                    Asset.objects.public().filter(uuid=merge_form.cleaned_data["target"]).first()
                )
                if target is None or suggestion.asset_id is not None:
                    merge_form.add_error("target", "Choose one of the existing assets listed.")
                else:
                    services.merge_suggestion(
                        suggestion=suggestion, target=target, moderator=request.user
                    )
                    messages.success(request, f"The suggestion was merged into {target.name}.")
                    return redirect("moderation_queue")
        else:
            reject_form = ReasonForm(request.POST)
            reject_form.is_valid()
            reject_form.add_error(None, "Choose approve, reject or merge.")
    context = {
        "suggestion": suggestion,
        "rows": _diff_rows(suggestion),
        "reject_form": reject_form,
        "merge_form": merge_form,
        "duplicates": selectors.likely_duplicates(suggestion.proposed)
        if suggestion.is_new_asset
        else [],
        "can_merge": can(request.user, "suggestion.merge", suggestion),
    }
    status = 400 if (reject_form.errors or merge_form.errors) else 200
    return render(request, "accounts/moderation_suggestion.html", context, status=status)


@require_http_methods(["GET", "POST"])
def moderation_claim(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.select_related("asset", "user"), pk=pk)
    if (stop := guard(request, "claim.decide", claim)) is not None:
        return stop
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and claim.status == Status.PENDING:
        action = request.POST.get("action")
        if action == "approve":
            services.decide_claim(claim=claim, officer=request.user, approve=True)
            messages.success(
                request, f"{claim.user.get_full_name() or claim.user} now runs {claim.asset}."
            )
            return redirect("moderation_queue")
        if action == "reject" and form.is_valid():
            services.decide_claim(
                claim=claim, officer=request.user, approve=False, reason=form.cleaned_data["reason"]
            )
            messages.success(request, "The claim was rejected and the reason sent.")
            return redirect("moderation_queue")
        if action not in ("approve", "reject"):
            form.is_valid()
            form.add_error(None, "Choose approve or reject.")
        return _invalid(request, "accounts/moderation_claim.html", {"claim": claim, "form": form})
    return render(request, "accounts/moderation_claim.html", {"claim": claim, "form": ReasonForm()})


def officer_freshness(request: HttpRequest) -> HttpResponse:
    if (stop := guard(request, "officer.freshness")) is not None:
        return stop
    return render(
        request,
        "accounts/freshness.html",
        {
            "rows": selectors.freshness(),
            "totals": selectors.freshness_totals(),
            "review_days": settings.LIVINGMAP_REVIEW_AFTER_DAYS,
            "stale_days": settings.LIVINGMAP_STALE_AFTER_DAYS,
        },
    )


def officer_jobs(request: HttpRequest) -> HttpResponse:
    """The background jobs: each scheduled job's last and next run, and recent runs' errors."""
    if (stop := guard(request, "officer.jobs")) is not None:
        return stop
    return render(
        request,
        "accounts/jobs.html",
        {
            "jobs": job_selectors.scheduled_jobs(),
            "runs": job_selectors.recent_job_runs(limit=RECENT_JOB_RUNS),
            "failure_days": job_selectors.FAILURE_WINDOW_DAYS,
            "recent": RECENT_JOB_RUNS,
            "time_zone": settings.TIME_ZONE,
        },
    )


#: Job runs listed on the background jobs page (the newest).
RECENT_JOB_RUNS = 50


# -- personal records and my data ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def personal_add(request: HttpRequest) -> HttpResponse:
    form = PersonalAssetForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(request, "accounts/personal_add.html", {"form": form})
        services.add_personal_asset(person=request.user, **form.cleaned_data)
        messages.success(request, "Your gift or skill is saved. Only you can see it.")
        return redirect("account_my_data")
    return render(request, "accounts/personal_add.html", {"form": form})


def personal_view(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(PersonalAsset.objects.select_related("asset", "person"), pk=pk)
    if (stop := guard(request, "personal.view", record)) is not None:
        return stop
    services.log_read(record=record, reader=request.user, purpose="Viewed the record")
    return render(
        request,
        "accounts/personal_view.html",
        {
            "record": record,
            "owner": record.person_id == request.user.pk,
            "consent_form": ConsentForm(
                initial={"consent_to_connectors": record.consent_to_connectors}
            ),
        },
    )


@login_required
def personal_list(request: HttpRequest) -> HttpResponse:
    """Connectors and officers: people's gifts and skills they have consented to share."""
    records = [
        r
        for r in selectors.personal_records_visible_to(request.user)
        if r.person_id != request.user.pk
    ]
    return render(request, "accounts/personal_list.html", {"records": records})


@require_POST
def personal_consent(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(PersonalAsset, pk=pk)
    if (stop := guard(request, "personal.edit", record)) is not None:
        return stop
    form = ConsentForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied("That form was not right.")
    services.set_consent(record=record, consent=form.cleaned_data["consent_to_connectors"])
    messages.success(request, "Your choice is saved.")
    return redirect("personal_view", pk=pk)


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/my_data.html",
        {
            "records": PersonalAsset.objects.filter(person=request.user).select_related("asset"),
            "reads": AccessLog.objects.filter(person=request.user)[:200],
            "erase_form": EraseForm(user=request.user),
        },
    )


@login_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    data = services.export_my_data(request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-living-map-data.json"'
    return response


@login_required
@require_POST
def my_data_erase(request: HttpRequest) -> HttpResponse:
    form = EraseForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(
            request,
            "accounts/my_data.html",
            {
                "records": PersonalAsset.objects.filter(person=request.user),
                "reads": AccessLog.objects.filter(person=request.user)[:200],
                "erase_form": form,
            },
        )
    from django.contrib.auth import logout

    user = request.user
    logout(request)
    services.erase_my_data(user)
    return render(request, "accounts/erased.html")


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """GET asks (a link in the header); POST signs out (so a stray link cannot)."""
    if request.method == "POST":
        return auth_views.LogoutView.as_view(template_name="accounts/logged_out.html")(request)
    return render(request, "accounts/logout.html")


login_view = LoginView.as_view()
