"""Time banks: members who give and receive help, paid for in time credits on a double-entry ledger.

Direction: the member who GIVES help EARNS credit (the exchange's payee); the member who RECEIVES
help PAYS (the payer). One hour of anyone's time is worth one hour of anyone else's.

The ledger is double entry. An `Exchange` is the agreement ("Asha gave Ben 90 minutes of
gardening"); when it is confirmed it writes `Movement` rows that sum to zero (-90 on Ben's
account, +90 on Asha's). A balance is the sum of an account's movements; `Account.balance_minutes`
is a cache of that sum, changed only in the same transaction that writes the movements.
Movements are never updated or deleted: a mistake is put right by a reversing exchange.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class TimeBank(models.Model):
    """One time bank. An area may run several; a person may belong to several."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_banks",
        help_text="The area the bank serves.",
    )
    default_credit_limit_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How far below zero a new member's balance may go (blank: no limit).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Broker(models.Model):
    """A coordinator who runs a bank: approves members, records and corrects exchanges."""

    bank = models.ForeignKey(TimeBank, on_delete=models.CASCADE, related_name="brokers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_bank_broker_of"
    )
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank", "user"], name="timebank_one_broker_row"),
        ]

    def __str__(self) -> str:
        return f"{self.user} brokers {self.bank}"


class Member(models.Model):
    """A person or an organisation belonging to one bank (a person may join several banks)."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        LEFT = "left", "Left"

    bank = models.ForeignKey(TimeBank, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_bank_memberships",
        help_text="The person's sign-in (an organisation may have a named contact instead).",
    )
    name = models.CharField(max_length=200)
    asset = models.ForeignKey(
        "assets.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_bank_members",
        help_text="For an organisation: its entry on the living map, if it has one.",
    )
    neighbourhood = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_bank_members",
        limit_choices_to={"level": "neighbourhood"},
    )
    contact = models.CharField(
        max_length=300,
        blank=True,
        help_text="Email or phone; shown to another member only when both agree to an exchange.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    joined_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "user"],
                condition=Q(user__isnull=False),
                name="timebank_one_membership_per_user_bank",
            ),
        ]
        indexes = [models.Index(fields=["bank", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Account(models.Model):
    """Where a member's (or the bank's own) time credits are kept. `member` is empty for the bank's
    own account, which pays for things the bank itself asks for (a welcome credit, an event)."""

    bank = models.ForeignKey(TimeBank, on_delete=models.PROTECT, related_name="accounts")
    member = models.OneToOneField(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    balance_minutes = models.BigIntegerField(
        default=0, help_text="Cache of the sum of this account's movements; never set by hand."
    )
    credit_limit_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How far below zero the balance may go (blank: no limit).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank"],
                condition=Q(member__isnull=True),
                name="timebank_one_bank_account_per_bank",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_bank_account(self) -> bool:
        return self.member_id is None

    @property
    def name(self) -> str:
        if self.member_id is None:
            return f"{self.bank.name} (the bank)"
        return self.member.name


class InterBankAgreement(models.Model):
    """An explicit rule that lets members of `from_bank` pay members of `to_bank` (one way; add
    the opposite row for both ways). Each bank's own account stands in for the other bank, so
    every bank's balances still sum to zero."""

    from_bank = models.ForeignKey(TimeBank, on_delete=models.CASCADE, related_name="+")
    to_bank = models.ForeignKey(TimeBank, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_bank", "to_bank"], name="timebank_one_agreement"),
            models.CheckConstraint(
                condition=~Q(from_bank=F("to_bank")), name="timebank_agreement_two_banks"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_bank} → {self.to_bank}"


class Exchange(models.Model):
    """Help given and received: `payee` gave `minutes` of help to `payer`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        REVERSED = "reversed", "Reversed"

    bank = models.ForeignKey(TimeBank, on_delete=models.PROTECT, related_name="exchanges")
    payer = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="exchanges_paid",
        help_text="Who received the help (pays the time credit).",
    )
    payee = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="exchanges_earned",
        help_text="Who gave the help (earns the time credit).",
    )
    minutes = models.PositiveIntegerField()
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="The exchange this one corrects.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0), name="timebank_exchange_minutes_gt_0"
            ),
            models.CheckConstraint(
                condition=~Q(payer=F("payee")), name="timebank_exchange_payer_not_payee"
            ),
        ]
        indexes = [models.Index(fields=["bank", "status", "confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.minutes} min {self.payee} → {self.payer} ({self.status})"

    @property
    def hours(self) -> float:
        return self.minutes / 60


class Movement(models.Model):
    """One line of the ledger: `minutes` (signed) onto `account`. Insert-only."""

    exchange = models.ForeignKey(Exchange, on_delete=models.PROTECT, related_name="movements")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="movements")
    minutes = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(minutes=0), name="timebank_movement_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes:+d} min on {self.account_id}"


class Listing(models.Model):
    """An offer ("I can help with…") or a request ("I need help with…")."""

    class Kind(models.TextChoices):
        OFFER = "offer", "Offer"
        REQUEST = "request", "Request"

    bank = models.ForeignKey(TimeBank, on_delete=models.CASCADE, related_name="listings")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="listings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        "assets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    neighbourhood = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"level": "neighbourhood"},
    )
    availability = models.CharField(
        max_length=200, blank=True, help_text="When, e.g. 'weekday evenings'."
    )
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["bank", "kind", "is_open"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class Conversation(models.Model):
    """Messages between two members of a bank to arrange an exchange. Contact details stay hidden
    until both have agreed to the exchange."""

    bank = models.ForeignKey(TimeBank, on_delete=models.CASCADE, related_name="conversations")
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    started_by = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    started_by_agrees = models.BooleanField(default=False)
    other_agrees = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(started_by=F("other")), name="timebank_conversation_two_members"
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk} in {self.bank_id}"

    @property
    def contacts_revealed(self) -> bool:
        return self.started_by_agrees and self.other_agrees

    def includes(self, member: Member) -> bool:
        return member.pk in (self.started_by_id, self.other_id)


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"Message {self.pk}"
