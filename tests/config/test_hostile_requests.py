"""Bad input never makes a 500: every URL pattern of the site, as every role, with hostile path
parameters, query strings and bodies.

The URL patterns are walked from Django's resolver, so a new page is covered as soon as it is
routed. Each pattern is requested with real identifiers (a case in Channel support with its
tasks, documents, meeting and provider; a draft referral; a complaint under investigation with
a break-glass grant) and then with each path parameter replaced by hostile values: NUL, an
overlong string, words, signs, numbers beyond 64 bits, full-width digits, right-to-left marks,
empty. Bodies carry every answer name the service's forms know, filled with NUL bytes, 2 MB
strings, numbers beyond 64 bits, odd Unicode, impossible dates; JSON bodies for the API carry
nulls, booleans, lists, objects and half surrogate pairs. Run it on PostgreSQL too
(`DATABASE_URL=postgres://...`): a NUL byte breaks PostgreSQL only.

To keep it to a minute or two, values are chosen where they can reach code: a value that a
path converter refuses never reaches a view, so it is tried once (anonymously); values that
reach a view are tried as every role that gets past the view's sign-in and role checks.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode
from uuid import uuid4

import pytest
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.roles import Role
from config.forms import GovukDateField
from referrals import services as referral_services
from referrals.forms import SECTIONS
from referrals.models import PossibleDuplicate, Referral
from regions.selectors import route_local_authority
from tests.cases import CAMDEN, InSupportFactory, make_chair, make_user, submit_referral
from tests.clients import Client
from tests.compliance.factories import (
    break_glass_granted,
    linked_investigation,
)
from tests.routes import Template, url_templates
from workflows.channel import services as channel
from workflows.channel.models import AgendaItem, Intervention
from workflows.engine import clocks
from workflows.engine.models import CaseTask

HUGE = "9" * 40  # far beyond 64 bits
HOSTILE_PATH_VALUES = [
    "abc",
    "-1",
    "0",
    "9" * 18,
    "9" * 19,
    HUGE,
    "１２",  # full-width digits
    "\u202e12",  # right-to-left override
    "\u200f",  # right-to-left mark
    "x" * 2100,
    "\x00",
    "",
    " ",
    "..",
    "12.5",
    "ＳＥＣＲＥＴ",
]
# Values a converter may accept: tried as every role, since they reach the views.
ACCEPTED_BY_CONVERTERS = {"0", "9" * 18}
HOSTILE_UUIDS = [str(uuid4()), "00000000-0000-0000-0000-000000000000"]

TWO_MB = "x" * (2 * 1024 * 1024)


# --- The world and its people -----------------------------------------------------------------


@dataclass
class World:
    case: Referral
    draft: Referral
    values: dict[str, str]
    draft_values: dict[str, str]
    clients: dict[str, Client]
    users: dict[str, object]


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(people, private_storage) -> World:
    chair = make_chair(people)  # Camden's LA lead chairs the panel; la2 is LA only
    provider = make_user("mentor@provider.example", Role.INTERVENTION_PROVIDER)
    admin = make_user("admin@service.example", Role.ADMINISTRATOR)
    admin.is_staff = admin.is_superuser = True
    admin.save()

    case = InSupportFactory(people=people)
    intervention = channel.intervention_add(
        referral=case,
        user=people.panel,
        kind="mentoring",
        description="Mentoring",
        owner=chair,
        provider=provider,
    )
    meeting = channel.panel_meeting_create(
        panel=route_local_authority(CAMDEN).channel_panel, user=chair, meets_on=timezone.localdate()
    )
    channel.agenda_add(meeting=meeting, referral=case, purpose="review", user=chair)
    question = clocks.information_request_create(
        referral=case, user=people.police, question="Has anything changed?"
    )
    duplicate = PossibleDuplicate.objects.create(
        referral=case, earlier=submit_referral(people.other_referrer), score=0.9
    )
    draft = referral_services.referral_create_draft(user=people.referrer)
    attachment = referral_services.attachment_add(
        user=people.referrer,
        referral=draft,
        uploaded_file=SimpleUploadedFile("notes.txt", b"Notes of a meeting"),
    )
    complaint = linked_investigation(case, people.compliance)
    grant = break_glass_granted(
        people.compliance, case, reason="Investigating the complaint", minutes=60
    )
    task = CaseTask.objects.filter(referral=case, is_open=True).first()
    values = {
        "public_id": str(case.public_id),
        "task_pk": str(task.pk),
        "pk": str(task.pk),
        "duplicate_pk": str(duplicate.pk),
        "meeting_pk": str(AgendaItem.objects.get(referral=case).meeting_id),
        "intervention_pk": str(intervention.pk),
        "request_id": str(question.public_id),
        "attachment_id": str(attachment.public_id),
        "grant_id": str(grant.public_id),
        "reference": complaint.reference,
        "step": "link-case",
        "slug": next(iter(SECTIONS)),
        "path": "fonts/light-94a07e06a1-v2.woff2",
        "format": "json",
        "object_id": str(case.pk),
        "content_type_id": str(ContentType.objects.get_for_model(Referral).pk),
    }
    draft_values = {
        **values,
        "public_id": str(draft.public_id),
        "attachment_id": str(attachment.public_id),
    }
    users = {
        "referrer": people.referrer,
        "police": people.police,
        "la": people.la2,
        "chair": chair,
        "panel": people.panel,
        "adviser": people.adviser,
        "compliance": people.compliance,
        "provider": provider,
        "admin": admin,
    }
    clients = {"anonymous": _client(), **{role: _client(user) for role, user in users.items()}}
    assert Intervention.objects.filter(provider=provider).exists()
    return World(case, draft, values, draft_values, clients, users)


def _values_for(world: World, template: Template) -> dict[str, str]:
    """Real identifiers for the template's holes. The referrer's journey addresses their draft;
    a question is answered on the submitted case."""
    values = world.values
    if template.path.startswith("referrals/") and "request_id" not in template.converters:
        values = world.draft_values
    if template.converters.get("format") == "drf_format_suffix":
        values = {**values, "format": ".json"}
    return {name: values.get(name, "1") for name in template.converters}


# --- Requests --------------------------------------------------------------------------------


@dataclass
class Failures:
    seen: list[str] = field(default_factory=list)
    requests: int = 0

    def check(self, world: World, role: str, method: str, url: str, **kwargs) -> int:
        client = world.clients[role]
        response = getattr(client, method)(url, **kwargs)
        self.requests += 1
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        if role != "anonymous" and url.startswith(
            ("/sign-out/", "/admin/logout/")
        ):  # sign in again
            client.force_login(world.users[role])
        if response.status_code >= 500:
            body = kwargs.get("data")
            what = body if not isinstance(body, str | bytes) else f"{str(body)[:60]}..."
            self.seen.append(
                f"{response.status_code} {role} {method.upper()} {url[:120]!r} {what!r}"[:400]
            )
        return response.status_code

    def assert_none(self) -> None:
        assert not self.seen, f"{len(self.seen)} server errors, e.g.:\n" + "\n".join(self.seen[:40])


def _roles_reaching(world: World, failures: Failures, url: str, template: Template) -> list[str]:
    """Ask `url` as every role; return up to two that get past its sign-in and role checks (a
    redirect to sign in, a 403 or a 404 stops a request before the view reads its input), for
    the hostile requests. Every role reads a body through the same form, so two are enough."""
    admin = template.path.startswith("admin/")
    roles = []
    for role in ["anonymous", *(["admin"] if admin else world.users)]:
        status = failures.check(world, role, "get", url)
        if status == 405:
            status = failures.check(world, role, "post", url)
        if status not in (302, 403, 404) and len(roles) < 2:
            roles.append(role)
    return roles or ["anonymous"]


def _answer_kinds() -> dict[str, str]:
    """Every answer name the service's forms know, with what it holds: a date box, an id or a
    choice, or text. Hostile bodies fill each with values of its own kind."""
    kinds: dict[str, str] = {"next": "text", "return": "text", "action": "text"}
    stack = list(forms.Form.__subclasses__())
    while stack:
        form_class = stack.pop()
        stack.extend(form_class.__subclasses__())
        if not form_class.__module__.startswith(("referrals", "workflows", "compliance", "config")):
            continue
        for name, form_field in form_class.base_fields.items():
            if isinstance(form_field, GovukDateField):
                kinds.update({f"{name}-{part}": "date" for part in ("day", "month", "year")})
                kinds[name] = "date"
            elif isinstance(form_field, forms.CharField):
                kinds.setdefault(name, "text")
            else:
                kinds[name] = "choice"
    for check in ("police_systems", "intelligence", "visor", "previous_prevent", "firearms"):
        kinds.update({f"{check}_result": "choice", f"{check}_summary": "text"})
        kinds[f"{check}_reason"] = "text"
    for factor in ("engagement", "intent", "capability"):
        kinds.update({f"{factor}_rating": "choice", f"{factor}_evidence": "text"})
    for number in (1, 2, 3):
        kinds.update({f"intervention-{number}-{part}": "choice" for part in ("kind", "owner")})
        kinds[f"intervention-{number}-description"] = "text"
        kinds[f"intervention-{number}-provider"] = "choice"
    return kinds


def _by_kind(kinds: dict[str, str], **values) -> dict:
    """A body giving each answer the value for its kind (`date`, `choice`, `text`); date boxes
    take `day`, `month` and `year`."""
    body = {}
    for name, kind in kinds.items():
        if kind == "date":
            part = name.rsplit("-", 1)[-1]
            body[name] = (
                values.get(part, values["date"])
                if part in ("day", "month", "year")
                else values["date"]
            )
        else:
            body[name] = values[kind]
    return body


def _form_bodies(kinds: dict[str, str]) -> dict[str, dict]:
    return {
        "nul and control characters": {
            name: ("a\x00b" if i % 2 else "a\x1bb") for i, name in enumerate(kinds)
        },
        "beyond every limit": _by_kind(
            kinds, choice=HUGE, text="x" * 1001, date=HUGE, day="31", month="12", year="9999"
        ),
        "signs and odd unicode": _by_kind(
            kinds,
            choice="-1",
            text="１２\u202e\u200fＳＥＣＲＥＴ\ufeff",
            date="-1",
            day="０",
            month="１３",
            year="-1",
        ),
        "lists": {name: ["1", "2"] for name in kinds},
        "2 MB note": {"note": TWO_MB},
    }


def _json_bodies(kinds: dict[str, str]) -> dict[str, str]:
    names = sorted(kinds)
    return {
        "nulls": json.dumps(dict.fromkeys(names)),
        "booleans": json.dumps(dict.fromkeys(names, True)),
        "numbers beyond 64 bits": json.dumps(dict.fromkeys(names, 10**40)),
        "lists and objects": json.dumps({n: [{"a": [None]}] for n in names}),
        "dates beyond the calendar": json.dumps(
            {n: "9999-12-31" if kinds[n] == "date" else "x" * 1001 for n in names}
        ),
        "2 MB strings": json.dumps({"note": TWO_MB, "reason": "x"}),
        "nul": json.dumps(dict.fromkeys(names, "a\u0000b")),
        "half surrogate": '{"note": "\\ud800", "reason": "\\udfff", "assignee": "\\ud800"}',
        "not an object": json.dumps([1, "two", None]),
        "not json": "{not json",
    }


HOSTILE_QUERY = {
    "page": HUGE,
    "year": "１２",
    "status": "\u202e",
    "sort": "x" * 3000,
    "stage": "-1",
    "local_authority": HUGE,
    "risk_level": "ＳＥＣＲＥＴ",
    "case_reference": "x" * 3000,
    "reference": "x" * 3000,
    "actor": "\u200f",
    "action": "..",
    "occurred_from-day": "31",
    "occurred_from-month": "12",
    "occurred_from-year": "9999",
    "occurred_to-day": "31",
    "occurred_to-month": "12",
    "occurred_to-year": "9999",
    "next": "//evil.example",
    "return": "check",
    "format": "x",
    "limit": "-1",
    "offset": HUGE,
    "q": "x" * 3000,
    "o": "abc",
    "p": HUGE,
    "before": HUGE,
    "after": "-1",
}
NUL_QUERY = urlencode(dict.fromkeys(HOSTILE_QUERY, "a\x00b"))
# Values a path converter refuses never reach a view: a few of them are enough per hole.
REFUSED_SAMPLE = ("\x00", HUGE, "１２", "")


def _hostile_values(name: str, converter: str) -> list[tuple[str, bool]]:
    """(value, reaches a view) for a path hole."""
    bounded = converter in ("id", "int", "uuid")
    values = []
    for value in HOSTILE_PATH_VALUES:
        reaches = not bounded or value in ACCEPTED_BY_CONVERTERS
        if reaches or value in REFUSED_SAMPLE:
            values.append((value, reaches))
    if converter == "uuid" or "uuid" in converter or name.endswith(("public_id", "_id")):
        values += [(value, True) for value in HOSTILE_UUIDS]
    return values


def _admin_sample(template: Template) -> bool:
    """Admin pages are the administrator's: each model's list, add and change pages get the
    hostile requests; its history and delete pages only the plain ones."""
    return (
        not template.path.startswith("admin/")
        or template.path.endswith(("/", "add/", "change/"))
        and not template.path.endswith(("history/", "delete/"))
    )


def test_no_request_makes_a_server_error(world, quiet_request_log):
    failures = Failures()
    kinds = _answer_kinds()
    form_bodies, json_bodies = _form_bodies(kinds), _json_bodies(kinds)
    for template in url_templates():
        values = _values_for(world, template)
        valid = template.fill(values)
        roles = _roles_reaching(world, failures, valid, template)
        if not _admin_sample(template):
            continue
        api = template.path.startswith("api/")
        # Hostile query strings and bodies on the real address.
        for role in roles:
            failures.check(world, role, "get", f"{valid}?{urlencode(HOSTILE_QUERY)}")
            failures.check(world, role, "get", f"{valid}?{NUL_QUERY}")
            if api:
                for body in json_bodies.values():
                    failures.check(
                        world, role, "post", valid, data=body, content_type="application/json"
                    )
            else:
                for body in form_bodies.values():
                    failures.check(world, role, "post", valid, data=body)
        # Hostile path parameters, one at a time, the others real.
        for name, converter in template.converters.items():
            for value, reaches in _hostile_values(name, converter):
                url = template.fill({**values, name: value})
                for role in roles if reaches else ["anonymous"]:
                    failures.check(world, role, "get", url)
                    if reaches:
                        failures.check(world, role, "post", url, data=form_bodies["lists"])
    failures.assert_none()
    assert failures.requests > 2000, "the walk reached the site's addresses"
