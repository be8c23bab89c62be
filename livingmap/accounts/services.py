"""Writes about people and their assets: editing with history, claims, suggestions, verification,
personal records and erasure. Every function runs in a transaction."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import signing
from django.core.mail import EmailMessage, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateparse import parse_datetime

from livingmap.assets.records import ASSET_SCHEMA
from livingmap.assets.records import EDITABLE_FIELDS as ASSET_EDITABLE_FIELDS

from .models import (
    AccessLog,
    AssetAdmin,
    AssetChange,
    ChangeKind,
    Claim,
    PersonalAsset,
    Profile,
    ReviewReminder,
    Status,
    Suggestion,
)
from .outbox import send_after_response
from .selectors import account_for_email
from .signals import personal_data_erase, personal_data_export

#: The public fields people edit and suggest changes to (categories as a list of slugs), and
#: their labels: the assets schema's (livingmap/assets/records.py).
EDITABLE_FIELDS = ASSET_EDITABLE_FIELDS
FIELD_LABELS = {
    name: label
    for name, label in ASSET_SCHEMA.labels().items()
    if name in EDITABLE_FIELDS or name in ("lon", "lat")
}
VERIFY_SALT = "livingmap.accounts.still-correct"
VERIFY_EMAIL_SALT = "livingmap.accounts.verify-email"
#: How long a link to confirm an email address works.
CONFIRM_EMAIL_DAYS = 3


# -- signing up and confirming an email address ----------------------------------------------


def is_unconfirmed(user: Any) -> bool:
    """Signed up and has not yet confirmed the email address: its `Profile` says so. An account
    an administrator made has no profile and a confirmed one has a date, so an account an
    administrator turned off is never taken for one waiting to be confirmed."""
    return Profile.objects.filter(user_id=user.pk, email_confirmed_at__isnull=True).exists()


def _password_mark(user: Any) -> str:
    return salted_hmac(VERIFY_EMAIL_SALT, user.password or "", algorithm="sha256").hexdigest()[:16]


def confirmation_token(user: Any) -> str:
    """The signed token of a link to confirm a person's email address. It names the account's
    password (an unusable one until the address is confirmed), so a link works until the person
    has chosen their password with it, and never after."""
    return signing.dumps([user.pk, _password_mark(user)], salt=VERIFY_EMAIL_SALT)


def user_from_confirmation_token(token: str) -> Any:
    """The account a confirmation link is for; signing.BadSignature if it is forged, too old,
    or already used; the user model's DoesNotExist if the account is gone."""
    pk, mark = signing.loads(token, salt=VERIFY_EMAIL_SALT, max_age=CONFIRM_EMAIL_DAYS * 86400)
    user = get_user_model().objects.get(pk=pk)
    if not constant_time_compare(str(mark), _password_mark(user)):
        raise signing.BadSignature("This link was used already.")
    return user


def _confirmation_email(user: Any, base_url: str) -> EmailMessage:
    link = base_url + reverse("account_verify", args=[confirmation_token(user)])
    return _message(
        "Confirm your email address for Living Map",
        "Someone, probably you, asked to create a Living Map account with this email address."
        "\n\nTo create your account, follow this link, then choose your name and password:\n\n"
        f"{link}\n\nThe link works for {CONFIRM_EMAIL_DAYS} days.\n\n"
        "If you did not sign up, ignore this email. No account can be used unless someone "
        "follows the link.",
        [user.email],
    )


def _already_email(user: Any, email: str, base_url: str) -> EmailMessage:
    if not user.is_active:
        body = (
            "Someone, probably you, tried to create a Living Map account with this email "
            "address. It already has an account, but the people who run Living Map have turned "
            "it off, so it cannot be used to sign in.\n\n"
            "If it was not you, you can ignore this email."
        )
    else:
        body = (
            "Someone, probably you, tried to create a Living Map account with this email "
            "address. It already has an account.\n\n"
            f"Sign in: {base_url}{reverse('account_login')}\n\n"
            "If you have forgotten your password, reset it: "
            f"{base_url}{reverse('password_reset')}\n\n"
            "If it was not you, you can ignore this email."
        )
    return _message("You already have a Living Map account", body, [user.email or email])


def _new_account(email: str) -> Any:
    """An account waiting for confirmation: no name, no usable password, turned off. If someone
    else's sign-up for the same address made one at the same moment (a double click), that one."""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=email, email=email, password=None, is_active=False
            )
            Profile.objects.create(user=user)
            return user
    except IntegrityError:
        user = account_for_email(email)
        if user is None:
            raise
        return user


@transaction.atomic
def sign_up(*, email: str, base_url: str) -> None:
    """Someone asks for an account for `email`. Every address gets one email, sent after the
    response has gone (`outbox`), and no case hashes a password (none is given), so neither the
    page nor its timing tells anyone which addresses have accounts:

    - a new address gets an account waiting for confirmation, and a link to confirm it;
    - an address waiting for confirmation gets the link again; its account does not change;
    - an address with an account is told so, with links to sign in and to reset the password
      (or, if an administrator turned the account off, that it is turned off).

    The account's name and password are chosen on the page the link opens (`confirm_email`),
    so only someone who reads the address's email can choose them: nobody can sign up with
    someone else's address and have them turn on an account with a password they did not
    choose.
    """
    email = email.strip().lower()
    user = account_for_email(email) or _new_account(email)
    if is_unconfirmed(user):
        send_after_response(_confirmation_email(user, base_url))
    else:
        send_after_response(_already_email(user, email, base_url))


def resend_confirmation(*, email: str, base_url: str) -> None:
    """Send the confirmation link again if `email` has an account waiting for confirmation;
    otherwise send nothing. The page says the same either way, and the email goes after the
    response, so its time says nothing either."""
    user = account_for_email(email)
    if user is not None and is_unconfirmed(user):
        send_after_response(_confirmation_email(user, base_url))


@transaction.atomic
def confirm_email(*, user: Any, name: str, password: str) -> bool:
    """The person who followed the confirmation link chose the account's name and password: the
    address is confirmed and the account turned on. Only an account waiting for confirmation
    changes (False otherwise: confirmed already, or made or turned off by an administrator)."""
    profile = (
        Profile.objects.select_for_update()
        .filter(user_id=user.pk, email_confirmed_at__isnull=True)
        .first()
    )
    if profile is None:
        return False
    user.first_name = name
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["first_name", "password", "is_active"])
    profile.email_confirmed_at = timezone.now()
    profile.save(update_fields=["email_confirmed_at"])
    return True


def record_sign_of_life(asset: object, kind: str, when: datetime | None = None) -> None:
    """Something shows the asset is alive (its admins edited it, it recorded participation, it
    got a grant, a connector referred someone to it): count it as verified at `when`.

    Never moves last_verified_at backwards. `kind` says what the sign was (e.g. "participation").
    Any reminder waiting for an answer about the asset is answered by it.
    """
    from livingmap.assets.models import Asset

    when = when or timezone.now()
    Asset.objects.filter(pk=asset.pk).filter(
        Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=when)
    ).update(last_verified_at=when)
    ReviewReminder.objects.filter(asset_id=asset.pk, answered_at__isnull=True).update(
        answered_at=when
    )


# -- snapshots, diffs and editing ------------------------------------------------------------


def snapshot(asset: Any) -> dict[str, Any]:
    """The editable fields of an asset as plain JSON values."""
    values: dict[str, Any] = {f: getattr(asset, f) for f in EDITABLE_FIELDS if f != "categories"}
    values["categories"] = (
        sorted(asset.categories.values_list("slug", flat=True)) if asset.pk else []
    )
    return values


def _same(old: Any, new: Any) -> bool:
    """Do two stored values say the same? Blanks are alike; lists (categories) are sets."""
    if isinstance(old, list | tuple) or isinstance(new, list | tuple):
        return sorted(str(v) for v in old or []) == sorted(str(v) for v in new or [])
    return (old or "") == (new or "")


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field of `new` whose value differs from `old` (the order
    of categories is not a difference)."""
    return {
        f: [old.get(f, ""), value]
        for f, value in new.items()
        if f in FIELD_LABELS and not _same(old.get(f), value)
    }


def version_of(asset: Any) -> str:
    """The token an edit form carries to notice that someone else saved the asset meanwhile."""
    return asset.updated_at.isoformat() if asset.updated_at else ""


class EditConflict(Exception):
    """Someone else saved the asset after this edit started."""

    def __init__(self, asset: Any, changes: list[AssetChange]) -> None:
        super().__init__("Someone else changed this asset while you were editing it.")
        self.asset = asset
        self.changes = changes


def _postcode_key(text: Any) -> str:
    return "".join(str(text or "").split()).upper()


def _apply(asset: Any, values: dict[str, Any]) -> list[Any] | None:
    """Set the asset's fields from `values`; returns the categories to set (or None).

    The point moves only when asked to: `values` gives the point itself ("lon" and "lat", as
    a revert does), or a different postcode, which moves it to that postcode's centre — unless
    the asset had a point and no postcode (a point from a map or a survey is more exact than a
    postcode's centre). An unchanged postcode never moves a located asset; an asset with no point
    gets its postcode's centre whenever it is saved, if the postcode table has it (it may not
    have had it when the asset was imported)."""
    from livingmap.areas.selectors import PostcodeNotFound, point_for_postcode
    from livingmap.assets.models import Category
    from livingmap.core.text import PostcodeError

    old_postcode = asset.postcode if asset.pk else ""
    had_point_only = asset.is_located and not old_postcode
    categories = None
    for field, value in values.items():
        if field == "categories":
            categories = list(Category.objects.filter(slug__in=value or []).order_by("slug"))
        elif field in EDITABLE_FIELDS:
            setattr(asset, field, value if value is not None else "")
    if "lon" in values and "lat" in values:
        asset.lon, asset.lat = values["lon"], values["lat"]
    elif (
        values.get("postcode")
        and _postcode_key(values["postcode"]) != _postcode_key(old_postcode)
        and not had_point_only
    ):
        asset.lon, asset.lat = point_for_postcode(values["postcode"])
    elif asset.postcode and not asset.is_located:
        with contextlib.suppress(PostcodeError, PostcodeNotFound):  # else it stays unlocated
            asset.lon, asset.lat = point_for_postcode(asset.postcode)
    return categories


def _save(
    asset: Any, values: dict[str, Any], user: Any, kind: str, reason: str = ""
) -> AssetChange | None:
    """Apply `values` and record what changed. An edit that changes nothing saves nothing and
    records nothing (returns None)."""
    from livingmap.assets.services import save_asset

    before = snapshot(asset) if asset.pk else {}
    before_point = (asset.lon, asset.lat)
    categories = _apply(asset, values)
    after = {f: getattr(asset, f) for f in EDITABLE_FIELDS if f != "categories"}
    after["categories"] = (
        [c.slug for c in categories] if categories is not None else before.get("categories", [])
    )
    changes = diff(before, after)
    if (asset.lon, asset.lat) != before_point:
        changes["lon"] = [before_point[0], asset.lon]
        changes["lat"] = [before_point[1], asset.lat]
    if not changes and kind == ChangeKind.EDITED:
        return None
    save_asset(asset, categories=categories)
    return AssetChange.objects.create(
        asset=asset, user=_real(user), kind=kind, changes=changes, reason=reason
    )


def _real(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def edit_asset(
    *,
    asset_id: int,
    user: Any,
    values: dict[str, Any],
    version: str,
    kind: str = ChangeKind.EDITED,
    reason: str = "",
) -> AssetChange | None:
    """Save a person's edit, unless the asset moved on since `version` (then EditConflict,
    carrying the changes made meanwhile, and nothing is saved)."""
    from livingmap.assets.models import Asset

    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if version != version_of(asset):
        started = parse_datetime(version) if version else None
        since = AssetChange.objects.filter(asset=asset).select_related("user")
        if started is not None:
            since = since.filter(at__gt=started)
        raise EditConflict(asset, list(since[:10]))
    change = _save(asset, values, user, kind, reason)
    if AssetAdmin.objects.filter(asset=asset, user_id=getattr(user, "pk", None)).exists():
        record_sign_of_life(asset, "edit")
    return change


@transaction.atomic
def create_asset(*, user: Any, values: dict[str, Any], reason: str = "") -> Any:
    """A new asset added by a person; a group admin who adds one becomes its admin."""
    from livingmap.assets.models import Asset

    from .roles import is_officer

    asset = Asset(last_verified_at=timezone.now())
    _save(asset, values, user, ChangeKind.CREATED, reason)
    if _real(user) is not None and not is_officer(user):
        AssetAdmin.objects.get_or_create(user=user, asset=asset)
    return asset


@transaction.atomic
def revert_change(*, change: AssetChange, user: Any) -> AssetChange | None:
    """Put the fields one change touched back as they were before it."""
    from livingmap.assets.models import Asset

    asset = Asset.objects.select_for_update().get(pk=change.asset_id)
    old = {
        f: pair[0]
        for f, pair in change.changes.items()
        if f in EDITABLE_FIELDS or f in ("lon", "lat")
    }
    return _save(asset, old, user, ChangeKind.REVERTED, reason=f"Reverted change {change.pk}")


@transaction.atomic
def verify_asset(*, asset: Any, user: Any = None, via: str = "") -> AssetChange:
    """Someone confirms the details are still correct."""
    now = timezone.now()
    record_sign_of_life(asset, "verified", now)
    return AssetChange.objects.create(
        asset=asset, user=_real(user), kind=ChangeKind.VERIFIED, reason=via
    )


# -- claims ---------------------------------------------------------------------------------


@transaction.atomic
def submit_claim(*, user: Any, asset: Any, role: str, message: str = "") -> Claim:
    existing = Claim.objects.filter(user=user, asset=asset, status=Status.PENDING).first()
    if existing:
        return existing
    return Claim.objects.create(user=user, asset=asset, role=role, message=message)


@transaction.atomic
def decide_claim(*, claim: Claim, officer: Any, approve: bool, reason: str = "") -> Claim:
    claim.status = Status.APPROVED if approve else Status.REJECTED
    claim.decided_at = timezone.now()
    claim.decided_by = officer
    claim.reason = reason
    claim.save()
    if approve:
        AssetAdmin.objects.get_or_create(
            user=claim.user, asset=claim.asset, defaults={"granted_by": officer}
        )
        body = (
            f"Your claim to run {claim.asset.name} on Living Map was approved. You can now "
            "keep its listing up to date: sign in and open its page."
        )
    else:
        body = f"Your claim to run {claim.asset.name} on Living Map was not approved.\n\n{reason}"
    _mail(f"Your claim: {claim.asset.name}", body, [claim.user.email])
    return claim


# -- suggestions ----------------------------------------------------------------------------


@transaction.atomic
def submit_suggestion(
    *,
    asset: Any | None,
    proposed: dict[str, Any],
    user: Any = None,
    email: str = "",
    note: str = "",
) -> Suggestion:
    """A proposed change (only the fields that differ are kept) or a proposed new asset.

    The same suggestion sent again by the same person (a second click, a refresh) while the
    first is still waiting is not stored twice: the waiting one is returned. The database keeps
    one waiting suggestion per `pending_key`, so two clicks at the same moment store one too."""
    original = snapshot(asset) if asset is not None else {}
    if asset is not None:
        proposed = {f: pair[1] for f, pair in diff(original, proposed).items()}
        original = {f: original.get(f) for f in proposed}
    if isinstance(proposed.get("categories"), list):
        proposed = {**proposed, "categories": sorted(proposed["categories"])}
    user, email = _real(user), ("" if _real(user) else email)
    key = pending_key(asset=asset, proposed=proposed, user=user, email=email, note=note)
    try:
        with transaction.atomic():
            return Suggestion.objects.create(
                asset=asset,
                proposed=proposed,
                original=original,
                note=note,
                user=user,
                email=email,
                pending_key=key,
            )
    except IntegrityError:
        earlier = Suggestion.objects.filter(status=Status.PENDING, pending_key=key).first()
        if not key or earlier is None:
            raise
        return earlier


def pending_key(
    *, asset: Any | None, proposed: dict[str, Any], user: Any, email: str, note: str
) -> str:
    """What makes a waiting suggestion the same as another: the asset, who sent it (their account,
    else their email address in any case), the note and the proposal (in any order), hashed.
    Blank for a suggestion that proposes nothing."""
    if not proposed:
        return ""
    who = f"user {user.pk}" if user is not None else f"email {email.strip().lower()}"
    about = str(asset.pk) if asset is not None else None
    text = json.dumps([about, who, note, proposed], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _decided(suggestion: Suggestion, moderator: Any, status: str, reason: str = "") -> None:
    suggestion.status = status
    suggestion.decided_at = timezone.now()
    suggestion.decided_by = moderator
    suggestion.reason = reason
    suggestion.save()


@transaction.atomic
def approve_suggestion(*, suggestion: Suggestion, moderator: Any) -> Any:
    """Apply the suggestion (to its asset, or as a new asset) and tell whoever made it."""
    if suggestion.asset_id is None:
        from livingmap.assets.models import Asset

        asset = Asset(last_verified_at=None)
        _save(asset, suggestion.proposed, moderator, ChangeKind.CREATED, _who(suggestion))
    else:
        asset = suggestion.asset
        _save(asset, suggestion.proposed, moderator, ChangeKind.SUGGESTION, _who(suggestion))
    suggestion.result = asset
    _decided(suggestion, moderator, Status.APPROVED)
    _mail(
        "Your suggestion was accepted",
        f"Thank you. Your suggestion about {asset.name} was accepted and is now on Living Map.",
        [suggestion.reply_to],
    )
    return asset


@transaction.atomic
def reject_suggestion(*, suggestion: Suggestion, moderator: Any, reason: str) -> Suggestion:
    _decided(suggestion, moderator, Status.REJECTED, reason)
    about = suggestion.asset.name if suggestion.asset_id else suggestion.proposed.get("name", "")
    _mail(
        "Your suggestion was not accepted",
        f"Thank you for your suggestion about {about}. It was not accepted, because:\n\n{reason}",
        [suggestion.reply_to],
    )
    return suggestion


@transaction.atomic
def merge_suggestion(*, suggestion: Suggestion, target: Any, moderator: Any) -> Any:
    """A proposed new asset is one we already have: fill the existing asset's blank fields
    from the proposal (never overwrite what it has) and keep one record."""
    current = snapshot(target)
    fill = {
        f: v
        for f, v in suggestion.proposed.items()
        if f in EDITABLE_FIELDS and v and not current.get(f) and f != "kind"
    }
    change = _save(target, fill, moderator, ChangeKind.MERGED, _who(suggestion))
    if change is None:
        AssetChange.objects.create(
            asset=target, user=moderator, kind=ChangeKind.MERGED, reason=_who(suggestion)
        )
    suggestion.result = target
    _decided(suggestion, moderator, Status.MERGED)
    _mail(
        "Your suggestion was added to an existing listing",
        f"Thank you. {target.name} was already on Living Map; we added your details to it.",
        [suggestion.reply_to],
    )
    return target


def _who(suggestion: Suggestion) -> str:
    return f"From suggestion {suggestion.pk}"


# -- reminders ------------------------------------------------------------------------------


def still_correct_token(reminder: ReviewReminder) -> str:
    return signing.dumps({"a": reminder.asset_id, "r": reminder.pk}, salt=VERIFY_SALT)


def reminder_from_token(token: str) -> ReviewReminder:
    """The reminder a one-click link names; signing.BadSignature if forged or too old."""
    data = signing.loads(
        token, salt=VERIFY_SALT, max_age=settings.LIVINGMAP_REVIEW_AFTER_DAYS * 86400
    )
    return ReviewReminder.objects.select_related("asset").get(pk=data["r"], asset_id=data["a"])


@dataclass
class ReminderRun:
    reminded: int = 0
    escalated: int = 0


def send_review_reminders(*, base_url: str = "", now: datetime | None = None) -> ReminderRun:
    """Remind the admins of each asset due for review (once per review period), and tell officers
    about reminders nobody answered in LIVINGMAP_ESCALATE_AFTER_DAYS. Bounded per run."""
    from django.urls import reverse

    from .selectors import assets_due_for_review

    now = now or timezone.now()
    run = ReminderRun()
    for asset in assets_due_for_review(now=now)[:500]:
        emails = sorted({a.user.email for a in asset.admins.select_related("user") if a.user.email})
        if not emails:
            continue
        with transaction.atomic():
            reminder = ReviewReminder.objects.create(asset=asset, sent_at=now, sent_to=emails)
            link = base_url + reverse("still_correct", args=[still_correct_token(reminder)])
            _mail(
                f"Is {asset.name} still right on Living Map?",
                f"Please check the details of {asset.name} on Living Map.\n\n"
                f"If they are still correct, one click tells us: {link}\n\n"
                f"If something has changed, sign in and edit it: "
                f"{base_url}{asset.get_absolute_url()}",
                emails,
            )
        run.reminded += 1
    cutoff = now - timezone.timedelta(days=settings.LIVINGMAP_ESCALATE_AFTER_DAYS)
    overdue = list(
        ReviewReminder.objects.filter(
            answered_at__isnull=True, escalated_at__isnull=True, sent_at__lt=cutoff
        ).select_related("asset")[:500]
    )
    if overdue:
        officers = sorted(
            {
                u.email
                for g in Group.objects.filter(name="officer").prefetch_related("user_set")
                for u in g.user_set.all()
                if u.email and u.is_active
            }
        )
        lines = "\n".join(
            f"- {r.asset.name}: {base_url}{r.asset.get_absolute_url()}" for r in overdue
        )
        if officers:
            _mail(
                f"{len(overdue)} asset(s) not confirmed by their admins",
                f"Nobody answered the review reminder for these assets:\n\n{lines}",
                officers,
            )
        ReviewReminder.objects.filter(pk__in=[r.pk for r in overdue]).update(escalated_at=now)
        run.escalated = len(overdue)
    return run


# -- personal records -----------------------------------------------------------------------


@transaction.atomic
def add_personal_asset(
    *, person: Any, name: str, description: str = "", consent_to_connectors: bool = False
) -> PersonalAsset:
    """An individual's gift or skill: always private, owned by the person."""
    from livingmap.assets.models import Asset, AssetKind
    from livingmap.assets.services import save_asset

    asset = save_asset(Asset(name=name, description=description, kind=AssetKind.GIFTS))
    return PersonalAsset.objects.create(
        asset=asset,
        person=person,
        consent_to_connectors=consent_to_connectors,
        consent_recorded_at=timezone.now() if consent_to_connectors else None,
    )


@transaction.atomic
def set_consent(*, record: PersonalAsset, consent: bool) -> PersonalAsset:
    record.consent_to_connectors = consent
    record.consent_recorded_at = timezone.now() if consent else None
    record.save()
    return record


def log_read(*, record: PersonalAsset, reader: Any, purpose: str) -> AccessLog | None:
    """Every read of a personal record by someone other than the person is logged."""
    if reader.pk == record.person_id:
        return None
    name = reader.get_full_name() or reader.get_username()
    return AccessLog.objects.create(
        person_id=record.person_id,
        record=record,
        record_name=record.asset.name,
        reader=reader,
        reader_name=name,
        purpose=purpose,
    )


def export_my_data(user: Any) -> dict[str, Any]:
    """Everything Living Map holds about a person, as JSON-ready data."""

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    records = PersonalAsset.objects.filter(person=user).select_related("asset")
    data: dict[str, Any] = {
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "name": user.get_full_name(),
            "joined": when(user.date_joined),
            "last_login": when(user.last_login),
            "email_confirmed_at": when(
                Profile.objects.filter(user_id=user.pk)
                .values_list("email_confirmed_at", flat=True)
                .first()
            ),
        },
        "gifts_and_skills": [
            {
                "name": r.asset.name,
                "description": r.asset.description,
                "consent_to_connectors": r.consent_to_connectors,
                "consent_recorded_at": when(r.consent_recorded_at),
            }
            for r in records
        ],
        "assets_you_run": [
            {"name": a.asset.name, "since": when(a.granted_at)}
            for a in AssetAdmin.objects.filter(user=user).select_related("asset")
        ],
        "claims": [
            {"asset": c.asset.name, "status": c.status, "made": when(c.created_at)}
            for c in Claim.objects.filter(user=user).select_related("asset")
        ],
        "suggestions": [
            {"proposed": s.proposed, "status": s.status, "made": when(s.created_at)}
            for s in Suggestion.objects.filter(Q(user=user) | _email_q(user))
        ],
        "changes_you_made": [
            {"asset": c.asset.name, "kind": c.kind, "at": when(c.at), "changes": c.changes}
            for c in AssetChange.objects.filter(user=user).select_related("asset")
        ],
        "who_read_your_records": [
            {"reader": a.reader_name, "record": a.record_name, "at": when(a.at), "why": a.purpose}
            for a in AccessLog.objects.filter(person=user)
        ],
    }
    for _receiver, sections in personal_data_export.send(sender=export_my_data, user=user):
        data.update(sections or {})
    return data


def _email_q(user: Any) -> Q:
    return Q(email__iexact=user.email) if user.email else Q(pk__in=[])


@transaction.atomic
def erase_my_data(user: Any) -> None:
    """Delete a person's account and personal records; keep the map's history, anonymised.
    Other apps erase or anonymise their part through `signals.personal_data_erase`."""
    from livingmap.assets.models import Asset

    personal_data_erase.send(sender=erase_my_data, user=user)
    Asset.objects.filter(personal__person=user).delete()
    Suggestion.objects.filter(Q(user=user) | _email_q(user)).update(
        email="", user=None, note="", pending_key=""
    )
    AssetChange.objects.filter(user=user).update(user=None)
    AccessLog.objects.filter(reader=user).update(reader=None, reader_name="A former user")
    user.delete()


def _message(subject: str, body: str, to: list[str]) -> EmailMessage:
    return EmailMessage(subject, body, None, [t for t in to if t])


def _mail(subject: str, body: str, to: list[str]) -> None:
    to = [t for t in to if t]
    if to:
        send_mail(subject, body, None, to, fail_silently=False)
