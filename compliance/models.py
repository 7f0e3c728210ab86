import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from viewflow.workflow.models import Process


class AuditEvent(models.Model):
    """One entry of the append-only, keyed hash chain of the audit trail.

    A writer appends an event unsealed (no sequence, no hash), holding no lock; the sealer
    (`compliance.audit.audit_seal`, one at a time) then gives committed events their place in
    the chain: a gap-free sequence and an HMAC over the event and the previous hash, under a
    key the database never holds. Triggers refuse every UPDATE and DELETE except that one
    sealing of an unsealed row; `verify_audit` walks the chain.
    """

    sequence = models.BigIntegerField(unique=True, null=True, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    case_reference = models.CharField(max_length=32, blank=True, db_index=True)
    team = models.CharField(max_length=200, blank=True, db_index=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Which key sealed it, so keys can be rotated and old events still verified.
    key_id = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # The sealer's queue: small however long the chain grows.
            models.Index(
                fields=["id"], condition=models.Q(sequence__isnull=True), name="auditevent_unsealed"
            ),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor", "occurred_at"]),
            # The audit explorer's filters, each ending in the id it pages by (newest first).
            models.Index(fields=["case_reference", "id"], name="auditevent_case_id"),
            models.Index(fields=["actor_email", "id"], name="auditevent_actor_email_id"),
            models.Index(fields=["team", "id"], name="auditevent_team_id"),
            models.Index(fields=["action", "id"], name="auditevent_action_id"),
            models.Index(fields=["occurred_at"], name="auditevent_occurred_at"),
        ]

    def __str__(self) -> str:
        place = f"#{self.sequence}" if self.sequence is not None else f"(unsealed {self.pk})"
        return f"{place} {self.action} {self.case_reference or self.object_id}"


class AuditCheckpoint(models.Model):
    """The result of one verification of the whole chain, recorded by the periodic job.

    Append-only like the events, and also exported outside the database (`mac` proves a
    line of the export was written by the service), so cutting events from the end of the
    chain is found even by someone who can write every table.
    """

    verified_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    events_checked = models.BigIntegerField()
    last_sequence = models.BigIntegerField(null=True)
    last_hash = models.CharField(max_length=64, blank=True)
    first_broken_sequence = models.BigIntegerField(null=True)
    problem = models.TextField(blank=True)
    # The chain's first link: names the chain, so an export outlives a database reset.
    first_hash = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=16, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-verified_at"]
        get_latest_by = "verified_at"

    def __str__(self) -> str:
        return f"{'intact' if self.ok else 'BROKEN'} at {self.verified_at:%Y-%m-%d %H:%M}"


# --- Complaints to the Standards and Compliance Unit ----------------------------------------


class ComplaintCategory(models.TextChoices):
    REFERRAL_OR_DECISION = "referral_or_decision", "A referral, or a decision made about one"
    STAFF_CONDUCT = "staff_conduct", "The conduct of staff"
    PERSONAL_DATA = "personal_data", "How personal data was handled"
    DISCRIMINATION = "discrimination", "Discrimination"
    OTHER = "other", "Something else"


class Finding(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "Received: to triage"
    INVESTIGATING = "investigating", "Being investigated"
    AWAITING_FINDING = "awaiting_finding", "Investigated: finding to make"
    FINDING_MADE = "finding_made", "Finding made: response to send"
    RESPONDED = "responded", "Response sent"
    UNDER_REVIEW = "under_review", "Being reviewed by a second officer"
    CLOSED = "closed", "Closed"


class Complaint(models.Model):
    """A complaint about how the Prevent duty or Prevent training was applied.

    Addressed by `reference` (CMP-YYYY-NNNNNN) in letters and on the unit's pages. The
    complainant's contact details are here and nowhere else: audit events name the complaint
    by reference, never the person.
    """

    class Source(models.TextChoices):
        PUBLIC = "public", "Member of the public"
        PRACTITIONER = "practitioner", "Practitioner"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    category = models.CharField(max_length=30, choices=ComplaintCategory.choices)
    referral_reference = models.CharField(
        max_length=40, blank=True, help_text="The referral reference as the complainant gave it"
    )
    organisation = models.CharField(
        max_length=200, blank=True, help_text="The organisation the complaint is about"
    )
    what_happened = models.TextField()
    outcome_sought = models.TextField()

    complainant_name = models.CharField(max_length=200)
    complainant_email = models.EmailField(blank=True)
    complainant_phone = models.CharField(max_length=40, blank=True)
    complainant_address = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_made",
    )

    consent_to_raise = models.BooleanField(
        help_text="The complainant agrees that the unit may raise it with the organisation"
    )
    consent_recorded_at = models.DateTimeField()
    consent_note = models.CharField(max_length=300, blank=True)

    status = models.CharField(
        max_length=20,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
        db_index=True,
    )
    received_at = models.DateTimeField(db_index=True)
    acknowledge_by = models.DateField(null=True, blank=True)
    respond_by = models.DateField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    acknowledge_overdue = models.BooleanField(default=False)
    respond_overdue = models.BooleanField(default=False)

    in_scope = models.BooleanField(null=True, blank=True)
    triage_rationale = models.TextField(blank=True)
    signposting = models.TextField(blank=True, help_text="Where an out-of-scope complaint goes")
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_investigated",
    )
    linked_referral = models.ForeignKey(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    investigation_summary = models.TextField(blank=True)
    finding = models.CharField(max_length=20, choices=Finding.choices, blank=True)
    finding_rationale = models.TextField(blank=True)
    finding_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finding_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "acknowledge_by"]),
            models.Index(fields=["status", "respond_by"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status != ComplaintStatus.CLOSED

    @property
    def outcome_label(self) -> str:
        if self.in_scope is False:
            return "Out of scope"
        return self.get_finding_display() if self.finding else "Not yet decided"


class ComplaintReferenceCounter(models.Model):
    """Per-year counter behind CMP-YYYY-NNNNNN references, incremented under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ComplaintProcess(Process):
    """One complaint's run through the complaint flow (workflows/complaint_flow.py)."""

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="process")

    class Meta:
        verbose_name = "complaint process"

    def __str__(self) -> str:
        return f"Process for complaint {self.complaint_id}"


class ComplaintLetter(models.Model):
    """Every letter or email sent to the complainant, as sent."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Acknowledgement of receipt"
        TRIAGE = "triage", "What happens next"
        SIGNPOSTING = "signposting", "Out of scope: where to go instead"
        RESPONSE = "response", "Response"
        REVIEW = "review", "Review response"

    class Method(models.TextChoices):
        EMAIL = "email", "Email"
        POST = "post", "Post"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    sent_to = models.TextField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.complaint_id}"


class OrganisationContact(models.Model):
    """The unit raised the complaint with the organisation concerned (only with consent)."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="organisation_contacts"
    )
    organisation = models.CharField(max_length=200)
    contact = models.CharField(max_length=300, help_text="Who at the organisation, and how")
    summary = models.TextField(help_text="What was raised with them")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["raised_at"]

    def __str__(self) -> str:
        return f"Raised with {self.organisation}"


class ComplaintReview(models.Model):
    """The complainant asked for a review; a second officer (not the investigator) does it."""

    class Outcome(models.TextChoices):
        STANDS = "stands", "The finding stands"
        CHANGED = "changed", "The finding is changed"

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="review")
    requested_on = models.DateField()
    request_reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    original_finding = models.CharField(max_length=20, choices=Finding.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    new_finding = models.CharField(max_length=20, choices=Finding.choices, blank=True)
    rationale = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Review of {self.complaint_id}"


# --- Break-glass access to case content -----------------------------------------------------


class Decision(models.TextChoices):
    """Where a request that needs a second officer stands."""

    REQUESTED = "requested", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    LAPSED = "lapsed", "Not decided in time"
    WITHDRAWN = "withdrawn", "Withdrawn"


class BreakGlassGrant(models.Model):
    """A request for, and once a second officer approves it a grant of, time-limited read-only
    sight of one case for one compliance investigator.

    Two people: the investigator asks (with a reason and how long), another officer of the unit
    approves or refuses (with a reason). Only an approved grant gives access, from its approval
    for `minutes`, and only while `revoked_at` is empty and `expires_at` is in the future: see
    `selectors.break_glass_active`. It is mirrored by a guardian object permission
    (referrals.view_referral for the user on the referral), given at approval and removed by
    the periodic job once the grant expires. A request nobody decides lapses.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField()
    minutes = models.PositiveSmallIntegerField(help_text="How long the access lasts once approved")
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=Decision.choices, default=Decision.REQUESTED, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_because = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["user", "referral", "expires_at"]),
            models.Index(fields=["revoked_at", "expires_at"]),
            models.Index(fields=["status", "requested_at"]),
        ]
        permissions = [
            (
                "review_break_glass",
                "Review every break-glass grant and case link of the unit (the unit's head)",
            )
        ]

    def __str__(self) -> str:
        return f"Break-glass {self.user_id} on {self.referral_id}: {self.status}"

    @property
    def is_live(self) -> bool:
        """Approved, not ended and not past its time: the grant gives sight of the case now."""
        return (
            self.status == Decision.APPROVED
            and self.revoked_at is None
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def ended_at(self):
        """When the access ended or will end (None while it has not been given)."""
        if self.status != Decision.APPROVED:
            return None
        return self.revoked_at or self.expires_at


class CaseLinkRequest(models.Model):
    """A request to link a complaint to a case other than the one the complainant named.

    Linking to the named case needs nobody else; any other case is linked only once a second
    officer of the unit approves (workflows/complaint/services.py).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="case_link_requests"
    )
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="+")
    named_reference = models.CharField(
        max_length=40, blank=True, help_text="The reference the complainant gave, when asked"
    )
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=Decision.choices, default=Decision.REQUESTED, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"Link {self.complaint_id} to {self.referral_id}: {self.status}"


# --- Refused requests for case objects ------------------------------------------------------


class RefusedAccess(models.Model):
    """How often one person was refused one case object in one hour.

    The audit trail is append-only, so a crawler's thousand refusals cannot be folded into one
    event after the fact: the first refusal of the hour writes the audit event (`audit_event`)
    and this row; later ones in the same hour only raise `count` here.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    object_kind = models.CharField(max_length=40)
    object_key = models.CharField(max_length=64)
    window_start = models.DateTimeField(help_text="The start of the hour (UTC)")
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_status = models.PositiveSmallIntegerField()
    last_path = models.CharField(max_length=300)
    audit_event = models.OneToOneField(
        AuditEvent, on_delete=models.PROTECT, related_name="refused_access"
    )

    class Meta:
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "object_kind", "object_key", "window_start"],
                name="refused_access_once_per_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} refused {self.object_kind} {self.object_key} x{self.count}"
