"""Reads for the Channel pages: what a panel member, a provider or a task's team may see.

Each function returns None (the page answers 404) when the user may not see the thing, so
that the existence of a case is never revealed to someone outside it.
"""

from datetime import timedelta

from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user
from viewflow.workflow.models import Task

from accounts.models import User
from accounts.roles import Role
from referrals.models import Referral
from regions.models import Team
from regions.selectors import route_local_authority

from ..engine.models import CaseTask
from ..engine.permissions import cases_visible_to, is_member, may_view_case
from ..engine.selectors import running_pause_exists
from .models import (
    AgendaItem,
    ChannelDecision,
    Consent,
    Intervention,
    InterventionSession,
    PanelMeeting,
)
from .permissions import VIEW_INTERVENTION, may_record_session
from .services import SUPPORT_STAGES

# --- The panel ------------------------------------------------------------------------------


def home_url(user) -> str:
    """Where a Channel page sends the user back to: the panel's home, if they sit on one."""
    return reverse("channel:home") if panels_of_user(user) else reverse("home")


def panels_of_user(user) -> list[Team]:
    return list(
        Team.objects.filter(kind=Team.Kind.CHANNEL_PANEL, memberships__user=user)
        .select_related("local_authority")
        .order_by("name")
    )


def panel_open_tasks(panels: list[Team]):
    """Open Channel tasks owned by these panels, soonest deadline first."""
    return (
        CaseTask.objects.filter(team__in=panels, is_open=True)
        .select_related("referral", "task", "team")
        .annotate(paused=running_pause_exists())
        .order_by("due_on", "created_at")
    )


def panel_meetings(panels: list[Team], *, past_days: int = 90):
    """Meetings from `past_days` ago onwards, with the size of each agenda."""
    since = timezone.localdate() - timedelta(days=past_days)
    return (
        PanelMeeting.objects.filter(panel__in=panels, meets_on__gte=since)
        .select_related("panel", "chair")
        .annotate(agenda_size=Count("agenda"))
        .order_by("meets_on", "pk")
    )


def meeting_choices(panel_id: int):
    """Meetings a decision can be recorded against: the last 90 days and any to come."""
    since = timezone.localdate() - timedelta(days=90)
    return PanelMeeting.objects.filter(panel_id=panel_id, meets_on__gte=since).select_related(
        "panel"
    )


def meeting_for_member(user, meeting_pk: int) -> PanelMeeting | None:
    meeting = (
        PanelMeeting.objects.select_related("panel__local_authority", "chair")
        .filter(pk=meeting_pk)
        .first()
    )
    if meeting is None or not is_member(user, meeting.panel_id):
        return None
    return meeting


def meeting_agenda(meeting: PanelMeeting, user):
    """The meeting's agenda, without the cases the user may no longer see (a case transferred
    to another area leaves its old panel's agendas, past and future)."""
    return (
        AgendaItem.objects.filter(meeting=meeting, referral__in=cases_visible_to(user))
        .select_related("referral")
        .order_by("pk")
    )


def agenda_candidates(panel: Team):
    """Cases with an open task for this panel: the ones it can discuss."""
    return (
        Referral.objects.filter(
            pk__in=CaseTask.objects.filter(team=panel, is_open=True).values("referral_id")
        )
        .only("pk", "public_id", "reference", "first_name", "last_name")
        .order_by("reference")
    )


# --- A Channel task -------------------------------------------------------------------------


def task_page_context(task: Task) -> dict:
    """What the panel sees of the case while working a Channel task."""
    referral = task.case.referral
    return {
        "referral": referral,
        "case_task": task.case,
        "running_pause": task.case.pauses.filter(resumed_at__isnull=True).first(),
        "decisions": list(
            ChannelDecision.objects.filter(referral=referral).select_related("decided_by")
        ),
        "consents": list(Consent.objects.filter(referral=referral).select_related("obtained_by")),
        "interventions": list(
            Intervention.objects.filter(plan__referral=referral)
            .select_related("owner", "provider")
            .annotate(session_count=Count("sessions"), last_session=Max("sessions__held_on"))
        ),
    }


def case_for_panel_member(user, public_id) -> Referral | None:
    """A case at Channel whose panel the user sits on, else None."""
    referral = (
        Referral.objects.select_related("local_authority")
        .filter(public_id=public_id, channel_process__isnull=False)
        .first()
    )
    if referral is None:
        return None
    panel = route_local_authority(referral.local_authority_id).channel_panel
    if not (is_member(user, panel.id) and may_view_case(user, referral)):
        return None
    referral.channel_panel = panel
    return referral


def in_support(referral: Referral) -> bool:
    return CaseTask.objects.filter(
        referral=referral, is_open=True, stage__in=SUPPORT_STAGES
    ).exists()


def owner_choices(referral: Referral):
    """Who may own an intervention: the panel's members and the LA's Prevent team."""
    route = route_local_authority(referral.local_authority_id)
    return (
        User.objects.filter(
            is_active=True, memberships__team__in=[route.channel_panel, route.la_team]
        )
        .distinct()
        .order_by("full_name")
    )


def provider_choices():
    return User.objects.filter(
        is_active=True, groups__name=Role.INTERVENTION_PROVIDER.value
    ).order_by("full_name")


# --- Intervention providers -----------------------------------------------------------------

# A provider sees the intervention and the person's first name, nothing else of the case.
PROVIDER_FIELDS = (
    "pk",
    "kind",
    "description",
    "created_at",
    "ended_on",
    "owner_id",
    "provider_id",
    "plan_id",
    "plan__referral_id",
    "plan__referral__first_name",
    "plan__referral__reference",
)


def interventions_for_provider(user):
    """The live interventions commissioned from this provider, through their object grant."""
    own = Intervention.objects.filter(provider=user, ended_on__isnull=True)
    return (
        get_objects_for_user(
            user,
            VIEW_INTERVENTION,
            klass=own,
            accept_global_perms=False,
            with_superuser=False,
        )
        .select_related("plan__referral")
        .only(*PROVIDER_FIELDS)
        .annotate(session_count=Count("sessions"), last_session=Max("sessions__held_on"))
        .order_by("created_at")
    )


def intervention_for_session(user, intervention_pk: int) -> Intervention | None:
    """An intervention the user may record a session on (its provider or owner), else None."""
    intervention = (
        Intervention.objects.select_related("plan__referral")
        .only(*PROVIDER_FIELDS)
        .filter(pk=intervention_pk)
        .first()
    )
    if intervention is None or not may_record_session(user, intervention):
        return None
    return intervention


def intervention_sessions(intervention: Intervention):
    return InterventionSession.objects.filter(intervention=intervention).order_by("-held_on")
