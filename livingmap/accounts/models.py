"""People and their assets: profiles, admins, claims, suggestions, history, reminders, personal
records."""

from __future__ import annotations

from django.conf import settings
from django.db import models

USER = settings.AUTH_USER_MODEL


class Profile(models.Model):
    """What Living Map keeps about an account beyond Django's user: whether its email address is
    confirmed. Sign-up makes one with no date (waiting for confirmation); following the emailed
    link sets the date. Accounts an administrator makes (the admin, `createsuperuser`) have none,
    so they are never "waiting for confirmation" and a link can never turn them on."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="profile")
    email_confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class AssetAdmin(models.Model):
    """A person who runs an asset and may keep its listing up to date (an approved claim)."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="asset_admin_of")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="admins")
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "asset"], name="one_admin_row_per_user_asset")
        ]

    def __str__(self) -> str:
        return f"{self.user} runs {self.asset}"


class Status(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    MERGED = "merged", "Merged into an existing asset"


class Claim(models.Model):
    """Someone says they run an asset; an officer approves (making them an AssetAdmin) or not."""

    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="claims")
    role = models.CharField("Your role in the group", max_length=200)
    message = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} claims {self.asset}"


class Suggestion(models.Model):
    """A proposed change to an asset (asset set) or a proposed new asset (asset empty)."""

    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.CASCADE, null=True, blank=True, related_name="suggestions"
    )
    proposed = models.JSONField(default=dict, help_text="The fields as proposed.")
    #: The asset's values of the proposed fields when the suggestion was made (for the diff).
    original = models.JSONField(default=dict)
    note = models.TextField(blank=True)
    user = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )
    email = models.EmailField(blank=True, help_text="Where to reply to someone not signed in.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    result = models.ForeignKey(
        "assets.Asset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The asset created or merged into when it was approved.",
    )
    #: What makes a waiting suggestion the same as another (asset, who, note and proposal,
    #: hashed): the database keeps one waiting suggestion per key, so a double click stores one.
    pending_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["pending_key"],
                condition=models.Q(status="pending") & ~models.Q(pending_key=""),
                name="one_waiting_suggestion_per_key",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Suggestion {self.pk} about {self.asset or self.proposed.get('name', 'a new asset')}"
        )

    @property
    def is_new_asset(self) -> bool:
        return self.asset_id is None

    @property
    def reply_to(self) -> str:
        return self.user.email if self.user_id and self.user.email else self.email


class ChangeKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    REVERTED = "reverted", "Reverted"
    MERGED = "merged", "Merged"
    VERIFIED = "verified", "Confirmed still correct"
    SUGGESTION = "suggestion", "Suggestion approved"


class AssetChange(models.Model):
    """One change to an asset: who, when and what ({field: [old, new]})."""

    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="asset_changes"
    )
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["asset", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.asset} at {self.at:%Y-%m-%d %H:%M}"


class ReviewReminder(models.Model):
    """A reminder sent to an asset's admins that its details are due for review."""

    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="reminders")
    sent_at = models.DateTimeField()
    sent_to = models.JSONField(default=list)
    answered_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["answered_at", "escalated_at", "sent_at"])]

    def __str__(self) -> str:
        return f"Reminder about {self.asset} sent {self.sent_at:%Y-%m-%d}"


class PersonalAsset(models.Model):
    """An individual's gifts and skills record: whose it is, and whether connectors may see it."""

    asset = models.OneToOneField("assets.Asset", on_delete=models.CASCADE, related_name="personal")
    person = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="personal_assets")
    consent_to_connectors = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.asset} (personal record of {self.person})"


class AccessLog(models.Model):
    """Someone other than the person read one of their personal records."""

    person = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="access_log")
    record = models.ForeignKey(
        PersonalAsset, on_delete=models.SET_NULL, null=True, blank=True, related_name="reads"
    )
    record_name = models.CharField(max_length=300)
    reader = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reader_name = models.CharField(max_length=300)
    at = models.DateTimeField(auto_now_add=True)
    purpose = models.CharField(max_length=200)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["person", "at"])]

    def __str__(self) -> str:
        return f"{self.reader_name} read {self.record_name} at {self.at:%Y-%m-%d %H:%M}"
