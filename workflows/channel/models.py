"""The Channel stage's records: panel meetings, decisions, consent, support and reviews."""

from django.conf import settings
from django.db import models
from viewflow.workflow.models import Process

from ..engine.models import Rating

User = settings.AUTH_USER_MODEL


class ChannelProcess(Process):
    """The Channel stage of one referral: its own flow, started from the referral flow."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.PROTECT, related_name="channel_process"
    )

    class Meta:
        verbose_name = "Channel process"

    def __str__(self) -> str:
        return f"Channel for {self.referral_id}"


class PanelMeeting(models.Model):
    panel = models.ForeignKey("regions.Team", on_delete=models.PROTECT, related_name="meetings")
    meets_on = models.DateField()
    location = models.CharField(max_length=200, blank=True)
    chair = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meets_on"]

    def __str__(self) -> str:
        return f"{self.panel} on {self.meets_on:%d %B %Y}"


class AgendaItem(models.Model):
    class Purpose(models.TextChoices):
        ADOPTION = "adoption", "Adoption decision"
        REVIEW = "review", "Progress review"
        EXIT = "exit", "Exit"
        POST_EXIT = "post_exit", "Post-exit review"

    meeting = models.ForeignKey(PanelMeeting, on_delete=models.CASCADE, related_name="agenda")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "referral", "purpose"], name="unique_agenda_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.referral}"


class ChannelDecision(models.Model):
    """Every decision of the Channel stage, with its rationale: adoption, consent, exit..."""

    class Kind(models.TextChoices):
        ADOPTION = "adoption", "Adoption"
        NOT_ADOPTED_OUTCOME = "not_adopted_outcome", "Outcome after not adopting"
        CONSENT_OUTCOME = "consent_outcome", "Outcome after consent refused or withdrawn"
        EXIT = "exit", "Exit"

    class Result(models.TextChoices):
        ADOPTED = "adopted", "Adopted"
        NOT_ADOPTED = "not_adopted", "Not adopted"
        POLICE_LED = "police_led", "Police-led partnership"
        CLOSED = "closed", "Closed"
        EXITED = "exited", "Exited Channel"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="channel_decisions"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    result = models.CharField(max_length=20, choices=Result.choices)
    rationale = models.TextField()
    meeting = models.ForeignKey(
        PanelMeeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at"]
        get_latest_by = "decided_at"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_result_display()}"


class Consent(models.Model):
    class GivenBy(models.TextChoices):
        PERSON = "person", "The person"
        PARENT = "parent", "Parent or guardian"

    class HowObtained(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        WRITING = "writing", "In writing"
        VIDEO = "video", "By video call"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="consents"
    )
    given_by = models.CharField(max_length=10, choices=GivenBy.choices)
    parent_name = models.CharField(max_length=200, blank=True)
    given = models.BooleanField()
    on = models.DateField()
    how_obtained = models.CharField(max_length=20, choices=HowObtained.choices)
    obtained_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_given_by_display()}: {'given' if self.given else 'refused'}"


class SupportPlan(models.Model):
    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="support_plan"
    )
    summary = models.TextField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Support plan for {self.referral}"


class Intervention(models.Model):
    class Kind(models.TextChoices):
        MENTORING = "mentoring", "Ideological or theological mentoring"
        EDUCATION = "education", "Education or training"
        EMPLOYMENT = "employment", "Employment"
        HEALTH = "health", "Health"
        HOUSING = "housing", "Housing"
        FAMILY = "family", "Family support"
        DIVERSIONARY = "diversionary", "Diversionary activities"
        LIFE_SKILLS = "life_skills", "Life skills"
        OTHER = "other", "Other"

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField()
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
        help_text="Commissioned intervention provider, who sees only their own items",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.get_kind_display()


class InterventionSession(models.Model):
    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField()
    attended = models.BooleanField()
    notes = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on"]

    def __str__(self) -> str:
        return f"Session on {self.held_on}"


class PanelReview(models.Model):
    class Recommendation(models.TextChoices):
        CONTINUE = "continue", "Continue support"
        EXIT = "exit", "Exit Channel"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="panel_reviews"
    )
    meeting = models.ForeignKey(
        PanelMeeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    progress = models.TextField()
    risk = models.CharField(max_length=10, choices=Rating.choices)
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices)
    rationale = models.TextField()
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reviewed_at"]
        get_latest_by = "reviewed_at"

    def __str__(self) -> str:
        return self.get_recommendation_display()


class PostExitReview(models.Model):
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="post_exit_reviews"
    )
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    assessment = models.TextField()
    concern = models.BooleanField(help_text="A concern that re-opens the case")
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reviewed_at"]
        get_latest_by = "reviewed_at"

    def __str__(self) -> str:
        return f"{self.months}-month post-exit review"
