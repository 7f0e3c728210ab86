"""Reads behind the case pages: the adviser's queue, your tasks, the case page, its timeline
and its diagram.

Each function fixes its own joins, so a page's query count does not grow with the number of
cases, tasks or records. Queues are indexed queries on CaseTask (region or team, is_open), never
Viewflow's `Task.objects.user_queue`, which loads every permission row of the user.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.template.loader import get_template
from viewflow.workflow.chart import calc_cell_status, calc_layout_data
from viewflow.workflow.models import Task

from compliance.audit import READ_ACTIONS
from compliance.models import AuditEvent
from referrals.models import Attachment, PossibleDuplicate, Referral, ReferralStatus
from regions.models import LocalAuthority, Team, TeamMembership

from ..engine.models import OPEN_STATUSES, CaseTask
from ..engine.permissions import (
    CaseRoles,
    adviser_region_ids,
    may_view_case,
    tasks_workable_by,
)
from ..engine.registry import stage_titles, stages_of_team
from ..engine.selectors import running_pause_exists
from .flows import ReferralFlow
from .models import (
    BelowThresholdOutcome,
    CaseNote,
    CaseTransfer,
    Deconfliction,
    Disclosure,
    GatewayCheck,
    HomeVisit,
    HomeVisitRiskAssessment,
    InitialDiscussion,
    OutcomeDecision,
    RiskAssessment,
    SafeguardingChecks,
    ThresholdDecision,
)
from .permissions import disclosure_audiences_for, disclosures_visible

QUEUE_PAGE_SIZE = 25
TASKS_PAGE_SIZE = 50


# --- Queues ----------------------------------------------------------------------------------


def _latest_risk():
    return Subquery(
        RiskAssessment.objects.filter(referral=OuterRef("referral_id"))
        .order_by("-assessed_at", "-pk")
        .values("overall_risk")[:1]
    )


def _pending_duplicate():
    return Exists(
        PossibleDuplicate.objects.filter(
            referral=OuterRef("referral_id"), decision=PossibleDuplicate.Decision.PENDING
        )
    )


def _repeat_referral():
    """Same rule as services.is_repeat_referral: a match not dismissed as someone else."""
    return Exists(
        PossibleDuplicate.objects.filter(referral=OuterRef("referral_id")).exclude(
            decision=PossibleDuplicate.Decision.DISMISSED
        )
    )


_running_pause = running_pause_exists


def _queue_rows(queryset: QuerySet[CaseTask]) -> QuerySet[CaseTask]:
    return queryset.select_related("referral", "task__owner", "team", "local_authority").annotate(
        risk_level=_latest_risk(),
        possible_duplicate=_pending_duplicate(),
        repeat_referral=_repeat_referral(),
        paused=_running_pause(),
    )


SORTS = {
    "due": (F("due_on").asc(nulls_last=True), "created_at", "pk"),
    "-due": (F("due_on").desc(nulls_last=True), "-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "reference": ("referral__reference", "created_at", "pk"),
    "-reference": ("-referral__reference", "-created_at", "-pk"),
}


@dataclass
class QueueFilters:
    """The adviser's choices; every field optional. Built from the queue's GET form."""

    stage: str = ""
    local_authority_id: int | None = None
    overdue: bool = False
    risk_level: str = ""
    possible_duplicate: bool = False
    repeat_referral: bool = False
    sort: str = "due"
    page: int | str = 1


def _page_of_rows(ordered: QuerySet[CaseTask], page: int | str, per_page: int) -> Page:
    """Paginate in two steps: the page's ids from a narrow query, then those rows in full.

    Sorting narrow CaseTask rows and joining only the page's 25 keeps the page's time close to
    flat as the region's tasks grow; joining every row before sorting does not.
    """
    ids_page = Paginator(ordered.values_list("pk", flat=True), per_page).get_page(page)
    ids = list(ids_page.object_list)
    rows = {row.pk: row for row in _queue_rows(CaseTask.objects.filter(pk__in=ids))}
    ids_page.object_list = [rows[pk] for pk in ids if pk in rows]
    return ids_page


def adviser_queue(user, filters: QueueFilters | None = None, *, per_page=QUEUE_PAGE_SIZE) -> Page:
    """Every open task in the regions the user advises, filtered, sorted and paginated.

    Four queries whatever the data: the user's regions, the count, the page's ids, its rows.
    """
    filters = filters or QueueFilters()
    tasks = CaseTask.objects.filter(region_id__in=adviser_region_ids(user), is_open=True)
    if filters.stage:
        tasks = tasks.filter(stage=filters.stage)
    if filters.local_authority_id:
        tasks = tasks.filter(local_authority_id=filters.local_authority_id)
    if filters.overdue:
        tasks = tasks.filter(overdue=True)
    if filters.risk_level:
        tasks = tasks.alias(risk_level=_latest_risk()).filter(risk_level=filters.risk_level)
    if filters.possible_duplicate:
        tasks = tasks.filter(_pending_duplicate())
    if filters.repeat_referral:
        tasks = tasks.filter(_repeat_referral())
    tasks = tasks.order_by(*SORTS.get(filters.sort, SORTS["due"]))
    return _page_of_rows(tasks, filters.page, per_page)


def team_queue(user, *, page: int | str = 1, per_page=TASKS_PAGE_SIZE) -> Page:
    """Open tasks of the user's teams: those claimed by the user first, then by deadline."""
    tasks = (
        tasks_workable_by(user)
        .alias(
            claimed_by_me=Case(
                When(task__owner_id=user.pk, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("claimed_by_me", F("due_on").asc(nulls_last=True), "created_at", "pk")
    )
    return _page_of_rows(tasks, page, per_page)


def advised_local_authorities(user) -> QuerySet[LocalAuthority]:
    """Current local authorities in the regions the user advises (for the queue's filter)."""
    return LocalAuthority.objects.filter(
        successor__isnull=True,
        police_force_area__region__teams__kind=Team.Kind.REGIONAL_ADVISERS,
        police_force_area__region__teams__memberships__user=user,
    ).order_by("name")


@dataclass(frozen=True)
class Assignee:
    pk: int
    name: str
    teams: str


def assignable_people(user) -> list[Assignee]:
    """Active members of any team in the regions the user advises, in one query.

    The service checks, task by task, that the person chosen is in the task's own team.
    """
    rows = (
        TeamMembership.objects.filter(
            user__is_active=True,
            team__region_id__in=TeamMembership.objects.filter(
                user=user, team__kind=Team.Kind.REGIONAL_ADVISERS
            ).values("team__region_id"),
        )
        .exclude(team__kind=Team.Kind.CHANNEL_PANEL)
        .values_list("user_id", "user__full_name", "team__name")
        .order_by("user__full_name", "user_id", "team__name")
    )
    people: dict[int, Assignee] = {}
    for pk, name, team in rows:
        known = people.get(pk)
        people[pk] = Assignee(pk, name, f"{known.teams}, {team}" if known else team)
    return list(people.values())


def tasks_for_adviser(user, task_ids) -> list:
    """Open Viewflow tasks among `task_ids` in the user's regions, ready for tasks_assign."""
    return list(
        Task.objects.filter(
            pk__in=task_ids,
            case__is_open=True,
            case__region_id__in=adviser_region_ids(user),
        )
        .select_related("owner", "case__referral", "case__team")
        .order_by("pk")
    )


# --- The case --------------------------------------------------------------------------------


def case_for_user(user, public_id) -> Referral:
    """A submitted case the user may see (team grant or break-glass), else 404."""
    referral = (
        Referral.objects.select_related(
            "local_authority", "region", "police_force_area", "created_by", "process"
        )
        .filter(public_id=public_id)
        .exclude(status=ReferralStatus.DRAFT)
        .first()
    )
    if referral is None or not may_view_case(user, referral):
        raise Http404("No such case")
    return referral


@dataclass
class PoliceRecords:
    """The police branch's own records: for the case's CT police team and its region's
    advisers only (`CaseRoles.police_records`). Others see the disclosures instead."""

    deconflictions: list[Deconfliction]
    gateway_checks: list[GatewayCheck]
    notes: list[CaseNote]
    risk_assessments: list[RiskAssessment]
    home_visit_assessments: list[HomeVisitRiskAssessment]
    home_visits: list[HomeVisit]
    outcome_decisions: list[OutcomeDecision]

    @property
    def safe_home_visit_assessment(self) -> bool:
        return any(a.visit_safe for a in self.home_visit_assessments)


def case_police_records(referral: Referral) -> PoliceRecords:
    """One query per kind of police record. Call only for a reader who may see them."""
    return PoliceRecords(
        deconflictions=list(
            Deconfliction.objects.filter(referral=referral).select_related("recorded_by")
        ),
        gateway_checks=list(
            GatewayCheck.objects.filter(referral=referral).select_related("recorded_by")
        ),
        notes=list(
            CaseNote.objects.filter(referral=referral, team__kind=Team.Kind.CTP_PREVENT)
            .select_related("author", "team")
            .order_by("created_at", "pk")
        ),
        risk_assessments=list(
            RiskAssessment.objects.filter(referral=referral).select_related("assessed_by")
        ),
        home_visit_assessments=list(
            HomeVisitRiskAssessment.objects.filter(referral=referral)
            .select_related("assessed_by")
            .order_by("assessed_at", "pk")
        ),
        home_visits=list(
            HomeVisit.objects.filter(referral=referral)
            .select_related("recorded_by")
            .order_by("visited_on", "pk")
        ),
        outcome_decisions=list(
            OutcomeDecision.objects.filter(referral=referral).select_related("decided_by")
        ),
    )


@dataclass(frozen=True)
class CaseReader:
    """What of a case one reader may see: police records or not, and which disclosures."""

    police_records: bool
    audiences: frozenset[str] | None  # None: every disclosure

    @classmethod
    def of(cls, roles: CaseRoles, *, break_glass: bool = False) -> "CaseReader":
        return cls(
            police_records=roles.police_records,
            audiences=disclosure_audiences_for(roles, break_glass=break_glass),
        )


@dataclass
class CasePage:
    referral: Referral
    reader: CaseReader
    open_tasks: list[CaseTask]
    done_tasks: list[CaseTask]
    duplicates: list[PossibleDuplicate]
    attachments: list[Attachment]
    notes: list[CaseNote]
    initial_discussion: InitialDiscussion | None
    safeguarding: SafeguardingChecks | None
    threshold_decisions: list[ThresholdDecision]
    below_threshold: object | None
    transfers: list[CaseTransfer]
    disclosures: list[Disclosure]
    # The police branch's records, or None for a reader without need to know.
    police: PoliceRecords | None

    @property
    def pending_duplicates(self) -> list[PossibleDuplicate]:
        return [d for d in self.duplicates if d.decision == PossibleDuplicate.Decision.PENDING]

    @property
    def is_repeat(self) -> bool:
        return any(d.decision != PossibleDuplicate.Decision.DISMISSED for d in self.duplicates)

    @property
    def safe_home_visit_assessment(self) -> bool:
        return self.police is not None and self.police.safe_home_visit_assessment


def case_page_data(referral: Referral, reader: CaseReader) -> CasePage:
    """Everything the case page shows this reader: one query per kind of record, whatever
    their number. Police records are not even read for a reader without need to know."""
    tasks = list(
        CaseTask.objects.filter(referral=referral)
        .select_related("task__owner", "team")
        .annotate(paused=_running_pause())
        .order_by("created_at", "pk")
    )
    return CasePage(
        referral=referral,
        reader=reader,
        open_tasks=[t for t in tasks if t.is_open],
        done_tasks=[t for t in tasks if not t.is_open],
        duplicates=list(
            PossibleDuplicate.objects.filter(referral=referral)
            .select_related("earlier", "decided_by")
            .order_by("-score", "pk")
        ),
        attachments=list(referral.attachments.order_by("uploaded_at", "pk")),
        notes=list(
            CaseNote.objects.filter(referral=referral)
            .exclude(team__kind=Team.Kind.CTP_PREVENT)
            .select_related("author", "team")
            .order_by("created_at", "pk")
        ),
        initial_discussion=InitialDiscussion.objects.filter(referral=referral)
        .select_related("held_by", "held_by_team", "confirmed_by")
        .first(),
        safeguarding=SafeguardingChecks.objects.filter(referral=referral)
        .select_related("recorded_by")
        .first(),
        threshold_decisions=list(
            ThresholdDecision.objects.filter(referral=referral).select_related(
                "decided_by", "reviewed_by"
            )
        ),
        below_threshold=BelowThresholdOutcome.objects.filter(referral=referral)
        .select_related("recorded_by")
        .first(),
        transfers=list(
            CaseTransfer.objects.filter(referral=referral)
            .select_related("from_local_authority", "to_local_authority", "transferred_by")
            .order_by("transferred_at", "pk")
        ),
        disclosures=list(disclosures_visible(referral, reader.audiences)),
        police=case_police_records(referral) if reader.police_records else None,
    )


# Events that record a police record itself: kept from the timeline of a reader without need
# to know. Task events of police steps stay (the steps completed are shared) without detail.
POLICE_EVENTS = frozenset(
    {
        "deconfliction.recorded",
        "risk_assessment.recorded",
        "home_visit.risk_assessed",
        "home_visit.recorded",
        "outcome.decided",
    }
)


@dataclass(frozen=True)
class TimelineEntry:
    """One event as a reader may see it (the audit row itself is never changed)."""

    action: str
    occurred_at: object
    actor: object
    actor_id: int | None
    actor_email: str
    team: str
    reason: str
    detail: dict


def _timeline_entry(
    event: AuditEvent, police_stages: frozenset[str], reader: CaseReader
) -> TimelineEntry | None:
    """The event as a reader without need to know sees it, or None if it is police content
    (or a disclosure made to other partners)."""
    detail = event.detail or {}
    if event.action in POLICE_EVENTS:
        return None
    if (
        event.action == "disclosure.recorded"
        and reader.audiences is not None
        and detail.get("audience") not in reader.audiences
    ):
        return None
    if event.action == "case_note.added" and detail.get("team_kind") == Team.Kind.CTP_PREVENT:
        return None
    withheld = event.action.startswith("task.") and detail.get("stage") in police_stages
    return TimelineEntry(
        action=event.action,
        occurred_at=event.occurred_at,
        actor=event.actor,
        actor_id=event.actor_id,
        actor_email=event.actor_email,
        team=event.team,
        reason="" if withheld else event.reason,
        detail={"stage": detail["stage"]} if withheld else detail,
    )


def case_timeline(referral: Referral, reader: CaseReader) -> list[AuditEvent | TimelineEntry]:
    """Every recorded event of the case, newest first (reads are in the audit explorer).

    A reader without need to know does not see events recording police records, nor the
    outcome, notes or results in the events of police steps (a gateway check's trace, a
    deconfliction outcome): only that the step was done; and sees only the disclosures made
    to them.
    """
    if not referral.reference:
        return []
    events = list(
        AuditEvent.objects.filter(case_reference=referral.reference)
        .exclude(action__in=READ_ACTIONS)
        .select_related("actor")
        .order_by("-pk")
    )
    if reader.police_records:
        return events
    police_stages = stages_of_team(Team.Kind.CTP_PREVENT)
    entries = (_timeline_entry(event, police_stages, reader) for event in events)
    return [entry for entry in entries if entry is not None]


def transfer_destinations(referral: Referral) -> QuerySet[LocalAuthority]:
    return (
        LocalAuthority.objects.filter(successor__isnull=True)
        .exclude(pk=referral.local_authority_id)
        .order_by("name")
    )


def duplicate_for_case(referral: Referral, duplicate_pk: int) -> PossibleDuplicate:
    duplicate = (
        PossibleDuplicate.objects.select_related("earlier", "referral")
        .filter(referral=referral, pk=duplicate_pk)
        .first()
    )
    if duplicate is None:
        raise Http404("No such possible duplicate")
    return duplicate


# --- The process diagram -----------------------------------------------------------------------


def case_diagram_svg(referral: Referral) -> str:
    """The referral flow drawn from its definition, with this case's open steps highlighted.

    Laid out by Viewflow from ReferralFlow on each call, so it cannot go stale; one query (the
    process's tasks). An image with a title, and a description naming the open steps.
    """
    process = getattr(referral, "process", None)
    grid = calc_layout_data(ReferralFlow)
    current: list[str] = []
    if process is not None:
        calc_cell_status(ReferralFlow, grid, process.pk)
        current = [cell.node.name for cell in grid.cells if cell.status in OPEN_STATUSES]
    titles = stage_titles()
    where = (
        "Open now: " + ", ".join(titles.get(name, name) for name in current) + "."
        if current
        else "No step is open."
    )
    return get_template("workflows/diagram.svg").render(
        {
            "grid": grid,
            "cells": grid.cells,
            "edges": grid.edges,
            "current": current,
            "description": f"{where} Steps completed are shaded green; steps open now are "
            "shaded blue and outlined in red.",
        }
    )
