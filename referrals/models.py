import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone


class Marking(models.TextChoices):
    """Government Security Classification. Anything higher is refused, never stored."""

    OFFICIAL = "official", "OFFICIAL"
    OFFICIAL_SENSITIVE = "official_sensitive", "OFFICIAL-SENSITIVE"


class Sector(models.TextChoices):
    EDUCATION = "education", "Education"
    FURTHER_HIGHER_EDUCATION = "further_higher_education", "Further or higher education"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    HEALTH = "health", "Health"
    POLICE = "police", "Police"
    PRISONS_PROBATION = "prisons_probation", "Prisons and probation"
    COMMUNITY_PUBLIC = "community_public", "Community or public"
    OTHER = "other", "Other"


class ConcernType(models.TextChoices):
    """Types of concern as recorded nationally since 2023/24."""

    NO_CLEAR_IDEOLOGY = "no_clear_ideology", "Conflicted, mixed, unclear or unstable ideology"
    EXTREME_RIGHT_WING = "extreme_right_wing", "Extreme right-wing"
    ISLAMIST = "islamist", "Islamist"
    LEFT_WING_SINGLE_ISSUE = "left_wing_single_issue", "Left-wing, anarchist or single-issue"
    VIOLENCE_FASCINATION = (
        "violence_fascination",
        "Fascination with extreme violence or mass-casualty attacks, including school massacres",
    )
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland-related"
    OTHER = "other", "Other"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_KNOWN = "not_known", "Not known"


class Awareness(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_SURE = "not_sure", "Not sure"


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_PROGRESS = "in_progress", "Being assessed"
    CLOSED = "closed", "Closed"


class Referral(models.Model):
    """A concern about one person, from draft through to closure.

    Pages and the API address it by `public_id` (a UUID); `reference` is for letters and phone
    calls; the integer id never leaves the database.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT, db_index=True
    )
    marking = models.CharField(
        max_length=20, choices=Marking.choices, default=Marking.OFFICIAL_SENSITIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # The person referred
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    aliases = models.TextField(blank=True, help_text="Other names, one per line")
    date_of_birth = models.DateField(null=True, blank=True)
    approximate_age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True, db_index=True)
    local_authority = models.ForeignKey(
        "regions.LocalAuthority",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    school_or_employer = models.CharField(max_length=200, blank=True)
    languages = models.CharField(max_length=200, blank=True)
    communication_needs = models.TextField(blank=True)
    person_aware = models.CharField(max_length=10, choices=Awareness.choices, blank=True)

    # The referrer, as they describe themselves on this referral
    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_role = models.CharField(max_length=200, blank=True)
    referrer_organisation = models.CharField(max_length=200, blank=True)
    referrer_sector = models.CharField(max_length=30, choices=Sector.choices, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)

    # The concern
    concern_type = models.CharField(max_length=30, choices=ConcernType.choices, blank=True)
    concern_type_other = models.CharField(max_length=200, blank=True)
    narrative = models.TextField(blank=True)
    seen_or_heard = models.TextField(blank=True)
    seen_on = models.DateField(null=True, blank=True)
    online_activity = models.TextField(blank=True)
    associates = models.TextField(blank=True)
    immediate_risk = models.BooleanField(null=True, blank=True)
    immediate_risk_details = models.TextField(blank=True)
    needs_special_educational = models.BooleanField(default=False)
    needs_disability = models.BooleanField(default=False)
    needs_mental_health = models.BooleanField(default=False)
    needs_neurodiversity = models.BooleanField(default=False)
    other_safeguarding_concerns = models.TextField(blank=True)
    conversations_held = models.TextField(blank=True)
    other_agencies = models.TextField(blank=True)

    declaration_confirmed = models.BooleanField(default=False)

    # Routing, set on submission
    police_force_area = models.ForeignKey(
        "regions.PoliceForceArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "regions.CTRegion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    # Lower-cased, accent-free name tokens (names and aliases) for duplicate matching.
    search_names = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"]),
            models.Index(fields=["region", "status"]),
            models.Index(fields=["date_of_birth"]),
        ]

    def __str__(self) -> str:
        return self.reference or f"Draft referral {self.public_id}"

    @property
    def person_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: date | None = None) -> int | None:
        day = day or timezone.localdate()
        if self.date_of_birth:
            dob = self.date_of_birth
            return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
        return self.approximate_age

    @property
    def is_under_18(self) -> bool:
        age = self.age_on()
        return age is not None and age < 18

    @property
    def complex_needs(self) -> list[str]:
        labels = {
            "needs_special_educational": "Special educational needs",
            "needs_disability": "Disability",
            "needs_mental_health": "Mental health",
            "needs_neurodiversity": "Neurodiversity",
        }
        return [label for name, label in labels.items() if getattr(self, name)]


class ReferenceCounter(models.Model):
    """Per-year counter behind PRV-YYYY-NNNNNN references, incremented under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Never the uploader's file name on disk: it may be hostile or identifying.
    return f"attachments/{instance.referral.public_id}/{instance.public_id}"


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


def upload_path(instance: "Upload", filename: str) -> str:
    return f"uploads/{instance.public_id}"


class Upload(models.Model):
    """A supporting document sent on its own (the API), before the referral that names it.

    Checked on arrival exactly as an attachment is; when the referral is submitted it becomes
    the referral's attachment (checked again, through `attachment_add`) and the upload goes.
    Uploads never used are deleted after `UPLOAD_RETENTION_HOURS` by a beat job.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.original_name


class PossibleDuplicate(models.Model):
    """An earlier referral that may be about the same person. Never merged automatically."""

    class Decision(models.TextChoices):
        PENDING = "pending", "To be checked"
        CONFIRMED = "confirmed", "Same person"
        DISMISSED = "dismissed", "Not the same person"

    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="possible_duplicates"
    )
    earlier = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    decision = models.CharField(
        max_length=10, choices=Decision.choices, default=Decision.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "earlier"], name="unique_duplicate_pair")
        ]

    def __str__(self) -> str:
        return f"{self.referral} may match {self.earlier}"


class InformationRequest(models.Model):
    """A question to the referrer; their answer is added to the referral."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="information_requests"
    )
    question = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"Question on {self.referral}"
