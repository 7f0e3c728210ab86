"""The referral process and the records each step of it produces.

Case data lives in these models with real columns; Viewflow's JSON `data` is never used for
anything that must be audited, searched or reported.
"""

from django.conf import settings
from django.db import models
from viewflow.workflow.models import Process, Task

from referrals.models import ConcernType

User = settings.AUTH_USER_MODEL


class ReferralProcess(Process):
    """One referral's run through the flow."""

    class Outcome(models.TextChoices):
        NO_FURTHER_ACTION = "no_further_action", "No further action"
        SIGNPOSTED = "signposted", "Signposted to another service"
        PURSUE = "pursue", "Escalated to Pursue"
        CHANNEL = "channel", "Referred to Channel"
        POLICE_LED = "police_led", "Police-led partnership"

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.PROTECT, related_name="process"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = "referral process"

    def __str__(self) -> str:
        return f"Process for {self.referral_id}"


class CaseTask(models.Model):
    """Who owns a human task, in which area, and by when.

    Viewflow's Task knows nothing of teams or regions; this row does, so queues are indexed
    queries on region/team/status instead of a scan of every guardian permission.
    """

    task = models.OneToOneField(
        Task, on_delete=models.CASCADE, primary_key=True, related_name="case"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="case_tasks"
    )
    team = models.ForeignKey("regions.Team", on_delete=models.PROTECT, related_name="case_tasks")
    region = models.ForeignKey("regions.CTRegion", on_delete=models.PROTECT, related_name="+")
    local_authority = models.ForeignKey(
        "regions.LocalAuthority", on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=50)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_on = models.DateField(null=True, blank=True)
    overdue = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["region", "is_open", "due_on"]),
            models.Index(fields=["team", "is_open"]),
        ]

    def __str__(self) -> str:
        return f"{self.stage} for {self.referral}"


class Deconfliction(models.Model):
    """A check of the person against live counter-terrorism investigations. Repeatable."""

    class Outcome(models.TextChoices):
        NO_CONFLICT = "no_conflict", "No conflict with a live investigation"
        CONFLICT_MANAGED = (
            "conflict_managed",
            "Linked to a live investigation – Prevent may proceed",
        )
        CONFLICT_HOLD = "conflict_hold", "Linked to a live investigation – Prevent on hold"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="deconflictions"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    trigger = models.CharField(max_length=200, default="Initial check")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"Deconfliction {self.get_outcome_display()}"


class GatewayCheck(models.Model):
    class Check(models.TextChoices):
        POLICE_NATIONAL_SYSTEMS = "police_national_systems", "Police national systems"
        INTELLIGENCE = "intelligence", "Intelligence holdings"
        VISOR = "visor", "ViSOR and offender management records"
        PREVIOUS_PREVENT = "previous_prevent", "Previous Prevent contact"
        FIREARMS = "firearms", "Firearms licensing"

    class Result(models.TextChoices):
        NO_TRACE = "no_trace", "No trace"
        TRACE = "trace", "Trace found"
        NOT_DONE = "not_done", "Not done"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="gateway_checks"
    )
    check_name = models.CharField(max_length=30, choices=Check.choices)
    result = models.CharField(max_length=10, choices=Result.choices)
    summary = models.TextField(blank=True, help_text="What was found (trace) or why not done")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_check_name_display()}: {self.get_result_display()}"


class CaseNote(models.Model):
    """Information gathered: notes, sources and contacts with the referrer."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        SOURCE = "source", "Source consulted"
        REFERRER_CONTACT = "referrer_contact", "Contact with the referrer"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="case_notes"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    team = models.ForeignKey("regions.Team", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.referral}"


class InitialDiscussion(models.Model):
    """The one initial discussion with the referrer, held by police or the LA, never twice."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="initial_discussion"
    )
    held_on = models.DateField()
    held_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    held_by_team = models.ForeignKey("regions.Team", on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Initial discussion on {self.referral}"


class SafeguardingChecks(models.Model):
    class DomesticAbuse(models.TextChoices):
        NO_CONCERN = "no_concern", "No domestic abuse concern found"
        CONCERN = "concern", "Domestic abuse concern found"

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="safeguarding_checks"
    )
    social_care = models.TextField(help_text="Children's or adult social care")
    education = models.TextField()
    health = models.TextField()
    domestic_abuse_result = models.CharField(max_length=20, choices=DomesticAbuse.choices)
    domestic_abuse_notes = models.TextField()
    mash_notified_on = models.DateField(null=True, blank=True)
    mash_response = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Safeguarding checks on {self.referral}"


class ThresholdDecision(models.Model):
    class Assurance(models.TextChoices):
        NOT_NEEDED = "not_needed", "Not needed"
        PENDING = "pending", "Waiting for the regional adviser"
        CONFIRMED = "confirmed", "Confirmed by the regional adviser"
        SENT_BACK = "sent_back", "Sent back by the regional adviser"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="threshold_decisions"
    )
    ideological_element = models.BooleanField()
    ideology = models.CharField(max_length=30, choices=ConcernType.choices, blank=True)
    terrorism_risk = models.BooleanField()
    rationale = models.TextField()
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    assurance = models.CharField(
        max_length=20, choices=Assurance.choices, default=Assurance.NOT_NEEDED
    )
    assurance_reason = models.TextField(blank=True, help_text="Why assurance was required")
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reasons = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at"]
        get_latest_by = "decided_at"

    def __str__(self) -> str:
        return "Meets threshold" if self.meets_threshold else "Below threshold"

    @property
    def meets_threshold(self) -> bool:
        return self.ideological_element and self.terrorism_risk


class BelowThresholdOutcome(models.Model):
    class Outcome(models.TextChoices):
        NO_FURTHER_ACTION = "no_further_action", "No further action"
        SIGNPOST = "signpost", "Signpost to another service"

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="below_threshold_outcome"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    signposted_to = models.CharField(max_length=200, blank=True)
    letter = models.TextField(help_text="Plain-language letter to the referrer")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.get_outcome_display()


class Rating(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RiskAssessment(models.Model):
    """The police assessment, structured as the Prevent Assessment Framework."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="risk_assessments"
    )
    engagement_rating = models.CharField(max_length=10, choices=Rating.choices)
    engagement_evidence = models.TextField()
    intent_rating = models.CharField(max_length=10, choices=Rating.choices)
    intent_evidence = models.TextField()
    capability_rating = models.CharField(max_length=10, choices=Rating.choices)
    capability_evidence = models.TextField()
    overall_risk = models.CharField(max_length=10, choices=Rating.choices, db_index=True)
    summary = models.TextField()
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessed_at"]
        get_latest_by = "assessed_at"

    def __str__(self) -> str:
        return f"Risk {self.get_overall_risk_display()}"


class HomeVisitRiskAssessment(models.Model):
    """Must exist before any home visit is recorded."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="home_visit_assessments"
    )
    risks_identified = models.TextField()
    controls = models.TextField()
    visit_safe = models.BooleanField()
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Home-visit risk assessment on {self.referral}"


class HomeVisit(models.Model):
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="home_visits"
    )
    risk_assessment = models.ForeignKey(
        HomeVisitRiskAssessment, on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField()
    notes = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Home visit on {self.visited_on}"


class OutcomeDecision(models.Model):
    class Outcome(models.TextChoices):
        PURSUE = "pursue", "Escalate to Pursue"
        CHANNEL = "channel", "Refer to Channel"
        POLICE_LED = "police_led", "Police-led partnership"
        NO_FURTHER_ACTION = "no_further_action", "No further action"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="outcome_decisions"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    rationale = models.TextField()
    handover_to = models.CharField(
        max_length=200, blank=True, help_text="Pursue team receiving the case"
    )
    handover_notes = models.TextField(blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at"]
        get_latest_by = "decided_at"

    def __str__(self) -> str:
        return self.get_outcome_display()


class CaseTransfer(models.Model):
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="transfers"
    )
    from_local_authority = models.ForeignKey(
        "regions.LocalAuthority", on_delete=models.PROTECT, related_name="+"
    )
    to_local_authority = models.ForeignKey(
        "regions.LocalAuthority", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    transferred_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    transferred_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.from_local_authority} → {self.to_local_authority}"


# --- Deadlines: pausing the clock -----------------------------------------------------------


class ClockPause(models.Model):
    """A task waiting on information from the referrer or another agency: its clock stops."""

    case_task = models.ForeignKey(CaseTask, on_delete=models.CASCADE, related_name="pauses")
    waiting_on = models.CharField(max_length=200)
    reason = models.TextField()
    paused_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    paused_at = models.DateTimeField(auto_now_add=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    information_request = models.ForeignKey(
        "referrals.InformationRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clock_pauses",
    )

    class Meta:
        ordering = ["paused_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_task"],
                condition=models.Q(resumed_at__isnull=True),
                name="one_running_pause_per_task",
            )
        ]

    def __str__(self) -> str:
        return f"Paused: waiting on {self.waiting_on}"


# --- The Channel stage ----------------------------------------------------------------------


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
