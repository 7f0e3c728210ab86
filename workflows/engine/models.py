"""The task engine's records: who owns a human task, by when, and its paused clocks.

Viewflow's Task knows nothing of teams or regions; CaseTask does, so queues are indexed
queries on region/team/status instead of a scan of every guardian permission.
"""

from django.conf import settings
from django.db import models
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

User = settings.AUTH_USER_MODEL

# The one definition of an open task: Viewflow's statuses before it is done or cancelled.
OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class CaseTask(models.Model):
    """Who owns a human task, in which area, and by when. `is_open` mirrors OPEN_STATUSES."""

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


class Rating(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


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
