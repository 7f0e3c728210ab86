"""A realistic national history of referrals in a fresh PostgreSQL database, fast.

    python bench/nationalgen.py --database prevent_gen_100k --referrals 100000
    python bench/nationalgen.py --database prevent_gen_100k --referrals 100000 --reuse

Drops and creates the database, migrates it, loads the regions and writes, with PostgreSQL
COPY, what years of casework through the real flows would have left: referrals in every
local authority (weighted by population), each with its referral process and every Viewflow
task and link of the path it took, the queue rows (CaseTask) of its human steps, the guardian
grants its teams hold, its decisions, Channel stages, repeat referrals with their possible
duplicates, complaints, and about ten sealed audit events per referral (`verify_audit` passes).
Most cases are closed; a few percent are open, with tasks due in the past and the future.

Proportions follow the Home Office's Prevent statistics for 2024/25 (age bands, type of
concern, referrer sector, outcomes). The reference data has no populations, so a local
authority's weight is the typical population of its kind (`AUTHORITY_WEIGHTS`).
"""

import argparse
import json
import os
import random
import sys
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from uuid import UUID

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

ADMIN_URL = os.environ.get("NATIONALGEN_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    """The URL of database `name` on the server of NATIONALGEN_ADMIN_URL."""
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__" and "--database" in sys.argv:
    # Django reads DATABASE_URL once, at setup: point it at the database to build.
    os.environ["DATABASE_URL"] = database_url(sys.argv[sys.argv.index("--database") + 1])

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.db.models import Max  # noqa: E402
from guardian.models import GroupObjectPermission  # noqa: E402
from viewflow.workflow.models import Process, Task  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.roles import Role  # noqa: E402
from compliance.audit import GENESIS_HASH, HASHED_FIELDS, canonical_detail, chain_keys  # noqa: E402
from compliance.audit import _link as audit_link  # noqa: E402
from compliance.models import (  # noqa: E402
    AuditEvent,
    Complaint,
    ComplaintCategory,
    ComplaintProcess,
    ComplaintReferenceCounter,
    ComplaintStatus,
    Finding,
)
from referrals.duplicates import search_names_for  # noqa: E402
from referrals.models import (  # noqa: E402
    ConcernType,
    Gender,
    PossibleDuplicate,
    ReferenceCounter,
    Referral,
    ReferralStatus,
    Sector,
)
from regions.models import LocalAuthority, Team, TeamMembership  # noqa: E402
from workflows.channel.flows import ChannelFlow  # noqa: E402
from workflows.channel.models import ChannelDecision, ChannelProcess  # noqa: E402
from workflows.complaint.flows import ComplaintFlow  # noqa: E402
from workflows.engine.deadlines import deadline_for  # noqa: E402
from workflows.engine.models import CaseTask  # noqa: E402
from workflows.engine.registry import step_for_node  # noqa: E402
from workflows.engine.services import CONTINUING_OUTCOMES  # noqa: E402
from workflows.referral.flows import ReferralFlow  # noqa: E402
from workflows.referral.models import (  # noqa: E402
    BelowThresholdOutcome,
    OutcomeDecision,
    ReferralProcess,
    ThresholdDecision,
)

# --- Proportions -------------------------------------------------------------------------

# Typical population of a local authority of each kind (ONS mid-year estimates, rounded), by
# the first three characters of its code: the weight of its share of referrals.
AUTHORITY_WEIGHTS = {"E06": 200, "E07": 115, "E08": 320, "E09": 270, "W06": 140}
SMALL_AUTHORITIES = {"E09000001": 10, "E06000053": 2}  # City of London, Isles of Scilly

# The published age bands (lowest age, highest age, share): under-18s about two thirds.
AGE_BANDS = [
    (6, 10, 6),
    (11, 15, 40),
    (16, 17, 20),
    (18, 20, 8),
    (21, 30, 10),
    (31, 40, 7),
    (41, 50, 5),
    (51, 60, 3),
    (61, 80, 1),
]
CONCERNS = {
    ConcernType.NO_CLEAR_IDEOLOGY: 56,
    ConcernType.EXTREME_RIGHT_WING: 20,
    ConcernType.ISLAMIST: 10,
    ConcernType.VIOLENCE_FASCINATION: 7,
    ConcernType.LEFT_WING_SINGLE_ISSUE: 3,
    ConcernType.NORTHERN_IRELAND: 1,
    ConcernType.OTHER: 3,
}
SECTORS = {
    Sector.EDUCATION: 38,
    Sector.POLICE: 16,
    Sector.LOCAL_AUTHORITY: 11,
    Sector.HEALTH: 10,
    Sector.COMMUNITY_PUBLIC: 7,
    Sector.FURTHER_HIGHER_EDUCATION: 5,
    Sector.PRISONS_PROBATION: 4,
    Sector.OTHER: 9,
}
# How closed cases left the process, per hundred.
CLOSED_PATHS = {
    "below_nfa": 38,
    "below_signposted": 37,
    "assessed_nfa": 6,
    "police_led": 4,
    "pursue": 1,
    "channel_exited": 9,
    "channel_not_adopted": 5,
}
# Where open cases wait, per hundred of them.
OPEN_PATHS = {
    "open_acknowledge": 15,
    "open_deconfliction": 15,
    "open_checks": 20,
    "open_threshold": 15,
    "open_risk": 10,
    "open_outcome": 5,
    "open_adoption": 8,
    "open_review": 12,
}
OPEN_SHARE = 0.04
REPEAT_SHARE = 0.08
COMPLAINTS_PER_REFERRAL = 1 / 400
READS_PER_REFERRAL = 3

FIRST_NAMES = [
    "Ada",
    "Bram",
    "Cleo",
    "Dax",
    "Elin",
    "Faro",
    "Gwen",
    "Hale",
    "Ines",
    "Jory",
    "Kit",
    "Lark",
    "Mira",
    "Nell",
    "Otto",
    "Pip",
    "Quin",
    "Rhea",
    "Sol",
    "Tam",
    "Uma",
    "Vale",
    "Wren",
    "Xan",
    "Yara",
    "Zed",
    "Arlo",
    "Bex",
    "Cyd",
    "Dori",
    "Eko",
    "Fen",
    "Gil",
    "Hux",
    "Ivo",
    "Juno",
    "Kai",
    "Lumi",
]
LAST_NAMES = [
    "Exampleton",
    "Sampleford",
    "Mockridge",
    "Testwood",
    "Placeholm",
    "Fictiver",
    "Dummerby",
    "Specimore",
    "Notrealton",
    "Madeupshire",
    "Imaginary",
    "Pretendle",
    "Fakenham-Sample",
    "Inventon",
    "Draftly",
    "Prototon",
    "Stubbington",
    "Fixturely",
    "Seedworth",
    "Syntheson",
    "Modelby",
    "Mockington",
    "Trialby",
    "Demoson",
]

# --- COPY ----------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _plain(value: str) -> str:
    return value if value.isprintable() and "\\" not in value else value.translate(_ESCAPES)


def _json(value) -> str:
    return _plain(json.dumps(value))


# By exact type, the commonest first: formatting is most of the generator's own time.
_FORMATS: dict[type, Callable] = {
    str: _plain,
    int: str,
    datetime: datetime.isoformat,
    type(None): lambda value: "\\N",
    bool: lambda value: "t" if value else "f",
    date: date.isoformat,
    float: repr,
    dict: _json,
    list: _json,
}


def _text(value) -> str:
    """One value in COPY's text format."""
    format_ = _FORMATS.get(type(value))
    if format_ is not None:
        return format_(value)
    if isinstance(value, str):  # a TextChoices member
        return _plain(str.__str__(value))
    return _plain(str(value))


@dataclass
class Table:
    """Rows for one model's table, as COPY lines: `columns` given per row, the model's other
    NOT NULL columns filled with their field defaults once."""

    model: type[models.Model]
    columns: Sequence[str]
    lines: list[str] = field(default_factory=list)
    written: int = 0

    def __post_init__(self) -> None:
        given = set(self.columns)
        rest = [
            f
            for f in self.model._meta.local_concrete_fields
            if f.column not in given and not f.null and not (f.primary_key and f.column == "id")
        ]
        self.all_columns = [*self.columns, *(f.column for f in rest)]
        tail = "\t".join(_text(f.get_default()) for f in rest)
        self.tail = "\t" + tail if rest else ""

    def add(self, *values) -> None:
        self.lines.append("\t".join(map(_text, values)) + self.tail + "\n")

    def take(self) -> tuple[str, list[str]]:
        """The COPY statement and the lines to send, leaving the table empty for more."""
        lines, self.lines = self.lines, []
        self.written += len(lines)
        return f"COPY {self.model._meta.db_table} ({', '.join(self.all_columns)}) FROM STDIN", lines


def copies_write(db: psycopg.Connection, batches: list[tuple[str, list[str]]]) -> None:
    """Send one chunk's COPYs, in one transaction."""
    with db.transaction(), db.cursor() as cursor:
        for sql, lines in batches:
            if not lines:
                continue
            with cursor.copy(sql) as copy:
                for start in range(0, len(lines), 20000):
                    copy.write("".join(lines[start : start + 20000]))


# --- The shape of each path through the flows ---------------------------------------------


@dataclass
class Node:
    name: str
    after: tuple[str, ...] = ()  # names of the nodes this one follows
    token: str = "start"


def _chain(names: Iterable[str], first_after: tuple[str, ...] = (), token: str = "start"):
    nodes, previous = [], first_after
    for name in names:
        nodes.append(Node(name, previous, token))
        previous = (name,)
    return nodes


INTAKE_POLICE = [
    "police_acknowledge",
    "police_deconfliction",
    "police_gateway_checks",
    "police_information_gathering",
]
INTAKE_LA = ["la_acknowledge", "la_initial_discussion", "la_safeguarding_checks"]


def _intake(police_done: int = 4, la_done: int = 3) -> list[Node]:
    """Start to the split and both branches, the first `police_done` / `la_done` steps done
    (the next one of each open)."""
    nodes = _chain(["start", "route_to_region", "duplicate_check", "split_intake"])
    police = _chain(INTAKE_POLICE[: police_done + 1], ("split_intake",), "start/{split}_1")
    la = _chain(INTAKE_LA[: la_done + 1], ("split_intake",), "start/{split}_2")
    return nodes + police + la


def _after_join(names: list[str]) -> list[Node]:
    return _intake() + _chain(["join_intake", *names], (INTAKE_POLICE[-1], INTAKE_LA[-1]))


REFERRAL_PATHS: dict[str, list[Node]] = {
    "below_nfa": _after_join(
        ["threshold_decision", "check_threshold", "below_threshold_outcome", "close_case", "end"]
    ),
    "assessed": _after_join(
        ["threshold_decision", "check_threshold", "risk_assessment", "outcome_decision"]
    ),
    "open_acknowledge": _intake(0, 0),
    "open_deconfliction": _intake(1, 1),
    "open_checks": _intake(2, 2),
    "open_threshold": _after_join(["threshold_decision"]),
}
REFERRAL_PATHS["below_signposted"] = REFERRAL_PATHS["below_nfa"]
REFERRAL_PATHS["open_risk"] = REFERRAL_PATHS["assessed"][:-1]
REFERRAL_PATHS["open_outcome"] = REFERRAL_PATHS["assessed"]
ENDINGS = {
    "assessed_nfa": "close_case",
    "police_led": "police_led_partnership",
    "pursue": "handover_to_pursue",
    "channel_exited": "start_channel",
    "channel_not_adopted": "start_channel",
    "open_adoption": "start_channel",
    "open_review": "start_channel",
}
for _path, _ending in ENDINGS.items():
    _tail = _chain(["route_outcome", _ending, "end"], ("outcome_decision",))
    REFERRAL_PATHS[_path] = REFERRAL_PATHS["assessed"] + _tail
CHANNEL_PATHS: dict[str, list[Node]] = {
    "channel_exited": _chain(
        [
            "start",
            "adoption_decision",
            "check_adopted",
            "consent",
            "check_consent",
            "support_plan",
            "check_support",
            "panel_review",
            "check_review",
            "exit_channel",
            "wait_6_months",
            "post_exit_review_6",
            "check_review_6",
            "wait_12_months",
            "post_exit_review_12",
            "check_review_12",
            "close_stage",
            "end",
        ]
    ),
    "channel_not_adopted": _chain(
        ["start", "adoption_decision", "check_adopted", "not_adopted_outcome", "close_stage", "end"]
    ),
    "open_adoption": _chain(["start", "adoption_decision"]),
    "open_review": _chain(
        [
            "start",
            "adoption_decision",
            "check_adopted",
            "consent",
            "check_consent",
            "support_plan",
            "check_support",
            "panel_review",
        ]
    ),
}
COMPLAINT_PATHS = {
    "out_of_scope": _chain(["start", "triage", "check_in_scope", "close_out_of_scope", "end"]),
    "in_scope": _chain(
        [
            "start",
            "triage",
            "check_in_scope",
            "investigation",
            "finding",
            "response_letter",
            "review_request",
            "check_review_requested",
            "close",
            "end",
        ]
    ),
}
UNSTARTED_TYPES = {"PARALLEL_GATEWAY", "SWITCH", "EXCLUSIVE_GATEWAY"}


READER_KINDS = [Team.Kind.CTP_PREVENT, Team.Kind.LA_PREVENT, Team.Kind.REGIONAL_ADVISERS]


@cache
def _deadline(stage: str, start: date) -> date | None:
    return deadline_for(stage, start)


def _weighted(choices: dict) -> Callable[[random.Random], object]:
    keys = list(choices)
    cumulative = list(accumulate(choices.values()))
    total = cumulative[-1]
    return lambda rng: keys[bisect(cumulative, rng.random() * total)]


# --- The generator -----------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.started = max(total, 1), label, time.perf_counter()

    def show(self, done: int) -> None:
        share = done / self.total
        bar = "#" * int(share * 30)
        elapsed = time.perf_counter() - self.started
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {done:,}/{self.total:,} {elapsed:5.1f}s")
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


@dataclass
class Route:
    la_id: int
    region_id: int
    pfa_id: int
    la_code: str
    region_slug: str
    pfa_code: str
    names: tuple[str, str, str]  # region, local authority, police force area
    teams: dict[str, Team]


class NationalHistory:
    """Writes the history chunk by chunk, each chunk one transaction of COPYs."""

    def __init__(self, n: int, *, seed: int, years: int, chunk: int) -> None:
        self.n, self.rng, self.chunk = n, random.Random(seed), chunk
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.today = self.now.date()
        self.first_day = self.now - timedelta(days=365 * years)
        self.routes, weights = self._routes()
        self.route_cumulative = list(accumulate(weights))
        self.concern = _weighted(CONCERNS)
        self.sector = _weighted(SECTORS)
        self.closed_path = _weighted(CLOSED_PATHS)
        self.open_path = _weighted(OPEN_PATHS)
        age_weights = {band: band[2] for band in AGE_BANDS}
        self.age_band = _weighted(age_weights)
        self.users = self._users()
        self.referrers = self._referrers()
        self.key_id = settings.AUDIT_CHAIN_KEY_ID
        self.key = chain_keys()[self.key_id]
        self.names_cache: dict[tuple[str, str, str], str] = {}
        self.people: list[tuple] = []  # earlier people, for repeat referrals
        self.ids = {
            model: (model.objects.aggregate(m=Max("pk"))["m"] or 0)
            for model in (Process, Task, Referral, AuditEvent, Complaint)
        }
        self.ids["previous"] = Task.previous.through.objects.aggregate(m=Max("pk"))["m"] or 0
        last = AuditEvent.objects.filter(sequence__isnull=False).order_by("-sequence").first()
        self.sequence = last.sequence if last else 0
        self.prev_hash = last.hash if last else GENESIS_HASH
        self.references = dict(ReferenceCounter.objects.values_list("year", "last_number"))
        self.complaint_references = dict(
            ComplaintReferenceCounter.objects.values_list("year", "last_number")
        )
        self.content_type = ContentType.objects.get_for_model(Referral)
        self.view_permission = Permission.objects.get(
            content_type=self.content_type, codename="view_referral"
        ).pk
        self.flow_task = {}
        self.task_type = {}
        self.team_kind = {}
        for flow_class in (ReferralFlow, ChannelFlow, ComplaintFlow):
            ref = Process._meta.get_field("flow_class").get_prep_value(flow_class)
            self.flow_task[flow_class] = {"__class__": ref}
            for node in flow_class.instance.nodes():
                self.flow_task[flow_class][node.name] = f"{ref}.{node.name}"
                self.task_type[(flow_class, node.name)] = node.task_type
                step = step_for_node(node)
                if step is not None and flow_class is not ComplaintFlow:
                    self.team_kind[(flow_class, node.name)] = step.team
        self._tables()

    def _tables(self) -> None:
        through = Task.previous.through
        self.t_process = Table(Process, ["id", "flow_class", "status", "created", "finished"])
        self.t_referral_process = Table(
            ReferralProcess, ["process_ptr_id", "referral_id", "outcome"]
        )
        self.t_channel_process = Table(ChannelProcess, ["process_ptr_id", "referral_id"])
        self.t_complaint_process = Table(ComplaintProcess, ["process_ptr_id", "complaint_id"])
        self.t_task = Table(
            Task,
            [
                "id",
                "process_id",
                "flow_task",
                "flow_task_type",
                "status",
                "token",
                "created",
                "started",
                "finished",
                "owner_id",
            ],
        )
        self.t_previous = Table(through, ["id", "from_task_id", "to_task_id"])
        self.t_case_task = Table(
            CaseTask,
            [
                "task_id",
                "referral_id",
                "team_id",
                "region_id",
                "local_authority_id",
                "stage",
                "is_open",
                "created_at",
                "due_on",
                "overdue",
            ],
        )
        self.t_referral = Table(
            Referral,
            [
                "id",
                "public_id",
                "reference",
                "status",
                "created_by_id",
                "created_at",
                "updated_at",
                "submitted_at",
                "closed_at",
                "first_name",
                "last_name",
                "aliases",
                "date_of_birth",
                "gender",
                "town",
                "local_authority_id",
                "police_force_area_id",
                "region_id",
                "referrer_name",
                "referrer_organisation",
                "referrer_sector",
                "referrer_email",
                "concern_type",
                "narrative",
                "declaration_confirmed",
                "person_aware",
                "search_names",
            ],
        )
        self.t_grant = Table(
            GroupObjectPermission, ["permission_id", "content_type_id", "object_pk", "group_id"]
        )
        self.t_duplicate = Table(
            PossibleDuplicate, ["referral_id", "earlier_id", "score", "reasons", "decision"]
        )
        self.t_threshold = Table(
            ThresholdDecision,
            [
                "referral_id",
                "ideological_element",
                "ideology",
                "terrorism_risk",
                "rationale",
                "decided_by_id",
                "decided_at",
            ],
        )
        self.t_below = Table(
            BelowThresholdOutcome,
            ["referral_id", "outcome", "signposted_to", "letter", "recorded_by_id", "recorded_at"],
        )
        self.t_outcome = Table(
            OutcomeDecision,
            ["referral_id", "outcome", "rationale", "decided_by_id", "decided_at"],
        )
        self.t_channel_decision = Table(
            ChannelDecision,
            ["referral_id", "kind", "result", "rationale", "decided_by_id", "decided_at"],
        )
        self.t_complaint = Table(
            Complaint,
            [
                "id",
                "public_id",
                "reference",
                "source",
                "category",
                "what_happened",
                "outcome_sought",
                "complainant_name",
                "consent_to_raise",
                "consent_recorded_at",
                "status",
                "received_at",
                "acknowledged_at",
                "responded_at",
                "in_scope",
                "triage_rationale",
                "finding",
                "finding_rationale",
                "finding_at",
                "closed_at",
                "linked_referral_id",
            ],
        )
        self.t_audit = Table(
            AuditEvent,
            [
                *HASHED_FIELDS,
                "prev_hash",
                "hash",
                "key_id",
            ],
        )
        self.tables = [v for v in vars(self).values() if isinstance(v, Table)]

    def _routes(self) -> tuple[list[Route], list[int]]:
        teams: dict[tuple[str, int | None, int], Team] = {}
        for team in Team.objects.all():
            teams[(team.kind, team.local_authority_id, team.region_id)] = team
        routes, weights = [], []
        authorities = LocalAuthority.objects.filter(successor__isnull=True).select_related(
            "police_force_area__region"
        )
        for la in authorities.order_by("code"):
            pfa = la.police_force_area
            region = pfa.region
            by_kind = {
                Team.Kind.CTP_PREVENT: teams[(Team.Kind.CTP_PREVENT, None, region.pk)],
                Team.Kind.REGIONAL_ADVISERS: teams[(Team.Kind.REGIONAL_ADVISERS, None, region.pk)],
                Team.Kind.LA_PREVENT: teams[(Team.Kind.LA_PREVENT, la.pk, region.pk)],
                Team.Kind.CHANNEL_PANEL: teams[(Team.Kind.CHANNEL_PANEL, la.pk, region.pk)],
            }
            routes.append(
                Route(
                    la.pk,
                    region.pk,
                    pfa.pk,
                    la.code,
                    region.slug,
                    pfa.code,
                    (region.name, la.name, pfa.name),
                    by_kind,
                )
            )
            weights.append(SMALL_AUTHORITIES.get(la.code, AUTHORITY_WEIGHTS.get(la.code[:3], 150)))
        return routes, weights

    def _users(self) -> dict[tuple[int, str], User]:
        """One fictional worker of each kind per region, in every team of that kind there: the
        owners of the history's completed tasks."""
        roles = {
            Team.Kind.CTP_PREVENT: Role.CTP_PREVENT_OFFICER,
            Team.Kind.LA_PREVENT: Role.LA_PREVENT_LEAD,
            Team.Kind.REGIONAL_ADVISERS: Role.REGIONAL_ADVISER,
            Team.Kind.CHANNEL_PANEL: Role.CHANNEL_PANEL_MEMBER,
        }
        users = {}
        for route in {r.region_id: r for r in self.routes}.values():
            for kind, role in roles.items():
                email = f"history.{kind.replace('_', '-')}.{route.region_slug}@example.gov.uk"
                user, created = User.objects.get_or_create(
                    email=email,
                    defaults={"full_name": f"Generated {role.label} ({route.names[0]})"},
                )
                if created:
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
                users[(route.region_id, kind)] = user
        memberships = []
        for route in self.routes:
            for kind, team in route.teams.items():
                user = users[(route.region_id, kind)]
                memberships.append((team, user))
        TeamMembership.objects.bulk_create(
            [TeamMembership(team=t, user=u) for t, u in memberships], ignore_conflicts=True
        )
        through = User.groups.through
        through.objects.bulk_create(
            [through(group_id=t.group_id, user_id=u.pk) for t, u in memberships],
            ignore_conflicts=True,
        )
        return users

    def _referrers(self) -> dict[str, User]:
        referrers = {}
        group = Group.objects.get_or_create(name=Role.REFERRER.value)[0]
        for sector in Sector.values:
            user, created = User.objects.get_or_create(
                email=f"referrer.{sector.replace('_', '-')}@example.org",
                defaults={"full_name": f"Generated referrer ({Sector(sector).label})"},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(group)
            referrers[sector] = user
        return referrers

    # --- one referral -------------------------------------------------------------------

    def _next(self, key) -> int:
        self.ids[key] += 1
        return self.ids[key]

    def _search_names(self, first: str, last: str, aliases: str) -> str:
        key = (first, last, aliases)
        if key not in self.names_cache:
            probe = Referral(first_name=first, last_name=last, aliases=aliases)
            self.names_cache[key] = search_names_for(probe)
        return self.names_cache[key]

    def _person(self, submitted: datetime) -> tuple:
        rng = self.rng
        if self.people and rng.random() < REPEAT_SHARE:
            return rng.choice(self.people), True
        low, high, _ = self.age_band(rng)
        age_days = rng.randint(low * 365 + 1, high * 365 + 364)
        person = (
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            (submitted.date() - timedelta(days=age_days)).replace(day=1 + age_days % 28),
            rng.choice([Gender.MALE] * 8 + [Gender.FEMALE] * 2),
        )
        if len(self.people) < 50000:
            self.people.append(person)
        else:
            self.people[rng.randrange(50000)] = person
        return person, False

    def _audit(self, events: list, when: datetime, action: str, **fields) -> None:
        events.append((when, action, fields))

    def referral(self, submitted: datetime, open_case: bool) -> list:
        """Write one referral and everything its path left; return its audit events."""
        rng = self.rng
        route = self.routes[bisect(self.route_cumulative, rng.random() * self.route_cumulative[-1])]
        path = self.open_path(rng) if open_case else self.closed_path(rng)
        (first, last, dob, gender), repeat = self._person(submitted)
        aliases = f"{first[0]}. {last}" if rng.random() < 0.05 else ""
        sector = self.sector(rng)
        concern = self.concern(rng)
        referrer = self.referrers[sector]
        rid = self._next(Referral)
        public_id = UUID(int=rng.getrandbits(128), version=4)
        year = submitted.year
        self.references[year] = self.references.get(year, 0) + 1
        reference = f"PRV-{year}-{self.references[year]:06d}"
        case = {"case_reference": reference, "object_id": str(public_id)}
        events: list = []
        self._audit(
            events,
            submitted,
            "referral.submitted",
            actor=referrer,
            detail={
                "region": route.region_slug,
                "local_authority": route.la_code,
                "police_force_area": route.pfa_code,
            },
            **case,
        )
        teams = route.teams
        team_names = [
            teams[Team.Kind.CTP_PREVENT].name,
            teams[Team.Kind.LA_PREVENT].name,
            teams[Team.Kind.REGIONAL_ADVISERS].name,
        ]
        self._audit(
            events,
            submitted,
            "case.routed",
            detail={
                "teams": team_names,
                "region": route.names[0],
                "local_authority": route.names[1],
                "police_force_area": route.names[2],
            },
            **case,
        )
        if repeat and self.ids[Referral] > 1:
            earlier = self._last_of.get((first, last, dob))
            if earlier:
                decision = rng.choice(["pending", "confirmed", "confirmed", "dismissed"])
                if open_case:
                    decision = "pending"
                self.t_duplicate.add(
                    rid, earlier[0], 0.95, ["same name", "same date of birth"], decision
                )
                self._audit(
                    events,
                    submitted,
                    "referral.possible_duplicates_linked",
                    detail={"earlier": [earlier[1]]},
                    **case,
                )
        self._last_of[(first, last, dob)] = (rid, reference)
        for kind in (Team.Kind.CTP_PREVENT, Team.Kind.LA_PREVENT, Team.Kind.REGIONAL_ADVISERS):
            self.t_grant.add(self.view_permission, self.content_type.pk, rid, teams[kind].group_id)

        clock = [submitted]
        pace = 3 if open_case else 6  # open cases are recent: their steps came quickly

        def step_time() -> datetime:
            clock[0] += timedelta(hours=rng.randint(2, 24 * pace))
            return clock[0]

        outcome = ""
        finished_at = self._path_tasks(
            ReferralFlow, path, REFERRAL_PATHS[path], rid, route, case, events, step_time
        )
        referral_process_id = self._process_id
        done = not path.startswith("open_") or path in ("open_adoption", "open_review")
        if path.startswith("below_"):
            outcome = "no_further_action" if path == "below_nfa" else "signposted"
        elif path in ENDINGS:
            outcome = {
                "assessed_nfa": "no_further_action",
                "police_led": "police_led",
                "pursue": "pursue",
            }.get(path, "channel")
        self._decisions(rid, route, path, concern, outcome, clock[0], case, events)
        status = ReferralStatus.IN_PROGRESS
        closed_at = None
        if done and outcome and outcome not in CONTINUING_OUTCOMES:
            status, closed_at = ReferralStatus.CLOSED, finished_at
        if outcome == "channel":
            self.t_grant.add(
                self.view_permission,
                self.content_type.pk,
                rid,
                teams[Team.Kind.CHANNEL_PANEL].group_id,
            )
            self._audit(
                events,
                clock[0],
                "channel.referred",
                team=teams[Team.Kind.CHANNEL_PANEL].name,
                **case,
            )
            channel_end = self._channel(rid, route, path, case, events, step_time)
            if channel_end:
                status, closed_at = ReferralStatus.CLOSED, channel_end
        self.t_referral_process.add(referral_process_id, rid, outcome)
        for _ in range(READS_PER_REFERRAL):
            reader_kind = rng.choice(READER_KINDS)
            reader = self.users[(route.region_id, reader_kind)]
            self._audit(
                events,
                submitted + timedelta(hours=rng.randint(1, 24 * 30)),
                "case.read",
                actor=reader,
                team=teams[reader_kind].name,
                detail={"what": "case page", "via": "web"},
                **case,
            )
        updated = closed_at or clock[0]
        self.t_referral.add(
            rid,
            str(public_id),
            reference,
            status,
            referrer.pk,
            submitted - timedelta(hours=rng.randint(1, 48)),
            updated,
            submitted,
            closed_at,
            first,
            last,
            aliases,
            dob,
            gender,
            f"{route.names[1]}",
            route.la_id,
            route.pfa_id,
            route.region_id,
            referrer.full_name,
            f"Example {Sector(sector).label} organisation",
            sector,
            referrer.email,
            concern,
            "Generated history: the concern as the referrer described it.",
            True,
            "yes",
            self._search_names(first, last, aliases),
        )
        return events

    def _path_tasks(
        self, flow_class, path, nodes, rid, route, case, events, step_time, complaint=False
    ) -> datetime | None:
        """The process and its tasks along `nodes`; the last human node stays open when the
        path is an open one. Returns when the process finished (None while it runs)."""
        process_id = self._next(Process)
        created = step_time()
        names = self.flow_task[flow_class]
        open_path = path.startswith("open_") and not (
            flow_class is ReferralFlow and path in ("open_adoption", "open_review")
        )
        # Of an open path, the last node of each branch is the task waiting to be worked.
        waiting = set()
        if open_path:
            followed = {name for node in nodes for name in node.after}
            waiting = {node.name for node in nodes if node.name not in followed}
        ids: dict[str, int] = {}
        split_id = None
        when = created
        for node in nodes:
            task_id = self._next(Task)
            ids[node.name] = task_id
            kind = self.task_type[(flow_class, node.name)]
            is_open = node.name in waiting
            when = step_time() if kind == "HUMAN" else when
            token = node.token.format(split=split_id)
            owner = None
            team = None
            team_kind = self.team_kind.get((flow_class, node.name))
            if team_kind:
                team = route.teams[team_kind]
                if not is_open:
                    owner = self.users[(route.region_id, team_kind)].pk
            elif complaint and kind == "HUMAN":
                owner = self.unit_officer.pk
            started = None if kind in UNSTARTED_TYPES or is_open else when
            self.t_task.add(
                task_id,
                process_id,
                names[node.name],
                kind,
                "NEW" if is_open else "DONE",
                token,
                when,
                started,
                None if is_open else when,
                owner,
            )
            if node.name == "split_intake":
                split_id = task_id
            for before in node.after:
                self.t_previous.add(self._next("previous"), task_id, ids[before])
            if team is not None:
                due = _deadline(node.name, when.date())
                overdue = is_open and due is not None and due < self.today
                self.t_case_task.add(
                    task_id,
                    rid,
                    team.pk,
                    route.region_id,
                    route.la_id,
                    node.name,
                    is_open,
                    when,
                    due,
                    overdue,
                )
                if is_open:
                    self._audit(
                        events,
                        when,
                        "task.created",
                        object_type="viewflow.task",
                        object_id=str(task_id),
                        team=team.name,
                        detail={"stage": node.name, "due_on": str(due)},
                        case_reference=case["case_reference"],
                    )
        finished = None if open_path else when
        self.t_process.add(
            process_id, names["__class__"], "NEW" if open_path else "DONE", created, finished
        )
        self._process_id = process_id
        return finished

    def _decisions(self, rid, route, path, concern, outcome, when, case, events) -> None:
        police = self.users[(route.region_id, Team.Kind.CTP_PREVENT)]
        la = self.users[(route.region_id, Team.Kind.LA_PREVENT)]
        if path.startswith("open_") and path in ("open_acknowledge", "open_deconfliction"):
            return
        if path in ("open_checks", "open_threshold"):
            return
        meets = not path.startswith("below_")
        ideology = "" if concern == ConcernType.NO_CLEAR_IDEOLOGY and not meets else concern
        self.t_threshold.add(
            rid, meets, ideology, meets, "Generated rationale for the decision.", police.pk, when
        )
        self._audit(
            events,
            when,
            "threshold.decided",
            actor=police,
            detail={"meets_threshold": meets},
            **case,
        )
        if path.startswith("below_"):
            signposted = outcome == "signposted"
            self.t_below.add(
                rid,
                outcome,
                "Example early help service" if signposted else "",
                "Generated letter to the referrer.",
                la.pk,
                when,
            )
            self._audit(
                events,
                when,
                "outcome.below_threshold",
                actor=la,
                detail={"outcome": outcome},
                **case,
            )
        elif outcome:
            self.t_outcome.add(rid, outcome, "Generated rationale.", police.pk, when)
            self._audit(
                events, when, "outcome.decided", actor=police, detail={"outcome": outcome}, **case
            )
        if outcome:
            self._audit(events, when, "case.outcome", detail={"outcome": outcome}, **case)

    def _channel(self, rid, route, path, case, events, step_time) -> datetime | None:
        """The Channel stage; returns when it closed (None while it runs)."""
        finished = self._path_tasks(
            ChannelFlow, path, CHANNEL_PATHS[path], rid, route, case, events, step_time
        )
        self.t_channel_process.add(self._process_id, rid)
        chair = self.users[(route.region_id, Team.Kind.CHANNEL_PANEL)]
        if path in ("channel_exited", "open_review"):
            self.t_channel_decision.add(
                rid, "adoption", "adopted", "Generated rationale.", chair.pk, step_time()
            )
            self._audit(events, step_time(), "channel.adoption", actor=chair, **case)
        if path == "channel_exited":
            self.t_channel_decision.add(
                rid, "exit", "exited", "Generated rationale.", chair.pk, step_time()
            )
            self._audit(events, step_time(), "channel.exited", actor=chair, **case)
        if path == "channel_not_adopted":
            self.t_channel_decision.add(
                rid, "adoption", "not_adopted", "Generated rationale.", chair.pk, step_time()
            )
            self.t_channel_decision.add(
                rid, "not_adopted_outcome", "closed", "Generated rationale.", chair.pk, step_time()
            )
            self._audit(events, step_time(), "channel.adoption", actor=chair, **case)
        if finished:
            self._audit(events, finished, "channel.closed", **case)
        return finished

    def complaint(self, received: datetime, linked: tuple[int, str] | None) -> list:
        rng = self.rng
        cid = self._next(Complaint)
        year = received.year
        self.complaint_references[year] = self.complaint_references.get(year, 0) + 1
        reference = f"CMP-{year}-{self.complaint_references[year]:06d}"
        in_scope = rng.random() < 0.6
        path = "in_scope" if in_scope else "out_of_scope"
        clock = [received]

        def step_time() -> datetime:
            clock[0] += timedelta(days=rng.randint(1, 8))
            return clock[0]

        route = self.routes[0]
        self._path_tasks(
            ComplaintFlow, path, COMPLAINT_PATHS[path], None, route, {}, [], step_time, True
        )
        self.t_complaint_process.add(self._process_id, cid)
        finding = rng.choice(Finding.values) if in_scope else ""
        self.t_complaint.add(
            cid,
            str(UUID(int=rng.getrandbits(128), version=4)),
            reference,
            rng.choice(["public", "practitioner"]),
            rng.choice(ComplaintCategory.values),
            "Generated account of what happened.",
            "Generated outcome sought.",
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            True,
            received,
            ComplaintStatus.CLOSED,
            received,
            received + timedelta(days=2),
            clock[0] if in_scope else None,
            in_scope,
            "Generated triage rationale.",
            finding,
            "Generated rationale." if in_scope else "",
            clock[0] if in_scope else None,
            clock[0],
            linked[0] if linked else None,
        )
        unit = {"object_type": "compliance.complaint", "case_reference": reference}
        return [
            (received, "complaint.received", unit),
            (received + timedelta(days=2), "complaint.triaged", unit),
            (clock[0], "complaint.closed", unit),
        ]

    # --- the whole history --------------------------------------------------------------

    def seal(self, events: list) -> None:
        """Chain the events, oldest first, after the chain's last link."""
        events.sort(key=lambda e: e[0])
        for when, action, fields in events:
            actor = fields.get("actor")
            self.sequence += 1
            row = {
                "sequence": self.sequence,
                "occurred_at": when,
                "actor_id": actor.pk if actor else None,
                "actor_email": actor.email if actor else "",
                "actor_role": self._role_of(actor),
                "action": action,
                "object_type": fields.get("object_type", "referrals.referral"),
                "object_id": fields.get("object_id", ""),
                "case_reference": fields.get("case_reference", ""),
                "team": fields.get("team", ""),
                "reason": "",
                "detail": canonical_detail(fields.get("detail")),
            }
            digest = audit_link(self.key, self.key_id, self.prev_hash, row)
            self.t_audit.add(*row.values(), self.prev_hash, digest, self.key_id)
            self.prev_hash = digest

    def _role_of(self, actor) -> str:
        return self._roles.get(actor.pk, "") if actor else ""

    def run(self) -> dict[str, int]:
        self._roles = dict(
            User.groups.through.objects.filter(group__name__in=Role.values).values_list(
                "user_id", "group__name"
            )
        )
        self._last_of: dict[tuple, tuple[int, str]] = {}
        self.unit_officer = User.objects.get_or_create(
            email="history.compliance@example.gov.uk",
            defaults={"full_name": "Generated compliance officer"},
        )[0]
        span = (self.now - self.first_day).total_seconds()
        open_window = 120 * 86400  # open cases were submitted in the last four months
        n_open = round(self.n * OPEN_SHARE)
        # Submission times, oldest first; open cases among the most recent.
        closed_times = sorted(
            self.first_day + timedelta(seconds=self.rng.random() * (span - open_window / 2))
            for _ in range(self.n - n_open)
        )
        open_times = sorted(
            self.now - timedelta(seconds=self.rng.random() * open_window) for _ in range(n_open)
        )
        cases = sorted([(t, False) for t in closed_times] + [(t, True) for t in open_times])
        progress = Progress(self.n, "referrals")
        indexes = self._indexes_drop()
        # A second connection writes each chunk while the next is generated.
        db = psycopg.connect(connection.connection.info.dsn, autocommit=True)
        # The generator writes consistent rows: skip per-row foreign-key triggers (and the
        # audit table's, which only guard UPDATE and DELETE) and waiting for each commit.
        db.execute("SET session_replication_role = replica")
        db.execute("SET synchronous_commit = off")
        pending = None
        with db, ThreadPoolExecutor(max_workers=1) as writer:
            for start in range(0, self.n, self.chunk):
                events: list = []
                for submitted, open_case in cases[start : start + self.chunk]:
                    submitted = submitted.replace(microsecond=self.rng.randrange(1000000))
                    events += self.referral(submitted, open_case)
                    if self.rng.random() < COMPLAINTS_PER_REFERRAL:
                        linked = (self.ids[Referral], None) if self.rng.random() < 0.5 else None
                        events += self.complaint(submitted + timedelta(days=30), linked)
                self.seal(events)
                if pending is not None:
                    pending.result()
                pending = writer.submit(copies_write, db, [t.take() for t in self.tables])
                progress.show(min(start + self.chunk, self.n))
            if pending is not None:
                pending.result()
        self._indexes_restore(indexes)
        self._finish()
        return {t.model._meta.db_table: t.written for t in self.tables if t.written}

    def _indexes_drop(self) -> list[str]:
        """Drop the written tables' secondary indexes (not those of constraints): building
        each once at the end is many times faster than keeping it up to date row by row."""
        tables = [t.model._meta.db_table for t in self.tables]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
                """,
                [tables],
            )
            found = cursor.fetchall()
            for name, _ in found:
                cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in found]

    def _indexes_restore(self, definitions: list[str]) -> None:
        progress = Progress(len(definitions), "indexes  ")
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for done, definition in enumerate(definitions, 1):
                cursor.execute(definition)
                progress.show(done)

    def _finish(self) -> None:
        """Counters and identity sequences past the ids written here, then fresh statistics."""
        for year, number in self.references.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": number})
        for year, number in self.complaint_references.items():
            ComplaintReferenceCounter.objects.update_or_create(
                year=year, defaults={"last_number": number}
            )
        with connection.cursor() as cursor:
            tables = {
                t.model._meta.db_table for t in self.tables if t.model._meta.pk.column == "id"
            }
            for table in tables:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute(
                        f"SELECT setval(%s, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",
                        [sequence],
                    )
            cursor.execute("ANALYZE")


def database_prepare(name: str) -> None:
    """Drop and create the database `name` (only ever a prevent_gen one)."""
    if not name.startswith("prevent_gen"):
        raise SystemExit("Refusing: the database's name must start with prevent_gen")
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def referrals_in(name: str) -> int | None:
    """How many referrals database `name` holds, or None if it has none or does not exist."""
    try:
        with psycopg.connect(database_url(name)) as db:
            return db.execute("SELECT COUNT(*) FROM referrals_referral").fetchone()[0]
    except psycopg.Error:
        return None


def history_build(n: int, *, seed: int = 2025, years: int = 5, chunk: int = 5000) -> dict:
    """Migrate the connected (empty) database, load the regions and write `n` referrals."""
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_regions", verbosity=0)
    return NationalHistory(n, seed=seed, years=years, chunk=chunk).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="name, starting prevent_gen")
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=5, help="how many years of history")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--reuse", action="store_true", help="keep a database of this size")
    args = parser.parse_args()
    if args.reuse and referrals_in(args.database) == args.referrals:
        print(f"{args.database} already holds {args.referrals:,} referrals: kept")
        return
    started = time.perf_counter()
    connection.close()
    database_prepare(args.database)
    counts = history_build(args.referrals, seed=args.seed, years=args.years)
    for table, rows in sorted(counts.items()):
        print(f"{table:40} {rows:>12,}")
    print(f"built {args.database} in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
