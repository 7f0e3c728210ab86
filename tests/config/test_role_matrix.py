"""The role matrix: every URL pattern and API endpoint, as every role, on an object the role's
area owns and on the same kind of object owned elsewhere, against one table of who may.

`MATRIX` below is the table, keyed by URL name. The URL patterns are walked from Django's
resolver, so a page that is routed but not in the table fails the test, and so does a row
whose URL no longer exists. Each request runs in a savepoint that is rolled back, so a step
one role may take (claiming a task, signing out) does not change what the next role meets.

What counts as allowed and refused is what a user meets: a refusal is a 401, 403 or 404, or a
redirect to sign in; anything else under 500 is the page or action answering (a form error
or "not at this stage" included, since it is answered to someone allowed to ask).
"""

import json
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from config.task_ids import task_api_id
from referrals import services as referral_services
from referrals.forms import SECTIONS
from referrals.models import PossibleDuplicate, Referral
from regions.selectors import route_local_authority
from tests.cases import (
    CAMDEN,
    MANCHESTER,
    InSupportFactory,
    People,
    SubmittedCaseFactory,
    make_chair,
    make_user,
    open_task,
    submit_referral,
)
from tests.clients import Client
from tests.compliance.factories import (
    ComplianceOfficerFactory,
    InvestigatingComplaintFactory,
    break_glass_granted,
    break_glass_requested,
    linked_investigation,
    unit_head,
)
from tests.factories import postcodes_load
from tests.routes import Template, url_templates
from workflows.channel import services as channel
from workflows.channel.models import AgendaItem
from workflows.complaint.services import complaint_case_link
from workflows.engine import clocks
from workflows.engine.models import CaseTask
from workflows.engine.services import task_claim

ROLES = (
    "anonymous",
    "referrer",
    "police",
    "la",
    "chair",
    "panel",
    "adviser",
    "compliance",
    "head",
    "provider",
    "admin",
)


# --- The table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Who is allowed, by method, on the own-area object and on the one out of scope. A
    method that is not in `own` is not served: nobody is allowed it."""

    own: dict[str, frozenset[str]]
    other: dict[str, frozenset[str]] | None  # None: the URL names no object


def _roles(names: str) -> frozenset[str]:
    found = frozenset(names.split())
    assert found <= set(ROLES), found - set(ROLES)
    return found


EVERYONE = " ".join(ROLES)
SIGNED_IN = " ".join(ROLES[1:])
UNIT = "compliance head"


def page(get: str = "", post: str | None = None) -> Access:
    """A URL naming no object: the same answer whatever the scope. `post` None: not served."""
    own = {"get": _roles(get)} if get is not None else {}
    if post is not None:
        own["post"] = _roles(post)
    return Access(own, None)


def action(post: str) -> Access:
    """A POST-only URL naming no object."""
    return Access({"post": _roles(post)}, None)


def scoped(get: str | None = "", post: str | None = None, other_get="", other_post="") -> Access:
    """A URL naming an object: `get`/`post` on the own-area object, `other_*` on the object
    out of scope (nobody, unless said)."""
    own, other = {}, {}
    if get is not None:
        own["get"], other["get"] = _roles(get), _roles(other_get)
    if post is not None:
        own["post"], other["post"] = _roles(post), _roles(other_post)
    return Access(own, other)


CASE_TEAMS = "police la chair adviser"  # the submitted case's police, LA and advisers

MATRIX: dict[str, Access] = {
    # Signing in and the account: everyone's own.
    "home": page(SIGNED_IN, SIGNED_IN),
    "login": page(EVERYONE, EVERYONE),
    "second_factor": page(SIGNED_IN, SIGNED_IN),
    "second_factor_set_up": page(SIGNED_IN, SIGNED_IN),
    "backup_codes": page(SIGNED_IN, SIGNED_IN),
    "logout": action(EVERYONE),
    "account": page(SIGNED_IN, SIGNED_IN),
    "backup_codes_new": action(SIGNED_IN),
    "sign_out_everywhere": action(SIGNED_IN),
    "password_reset": page(EVERYONE, EVERYONE),
    "password_reset_done": page(EVERYONE, EVERYONE),
    "password_reset_confirm": page(EVERYONE, EVERYONE),
    "password_reset_complete": page(EVERYONE, EVERYONE),
    "healthz": page(EVERYONE),
    # The pages every footer links to.
    "accessibility": page(EVERYONE),
    "privacy": page(EVERYONE),
    "cookies": page(EVERYONE),
    "assets": page(EVERYONE, EVERYONE),
    # The API: lists are filtered to what each may see; objects answer 404 out of scope.
    "api:api-root": page(SIGNED_IN),
    "api:schema": page(SIGNED_IN),
    "api:docs": page(SIGNED_IN),
    "api:referral-list": page("referrer", "referrer"),  # a POST with no body: a 400 problem
    "api:referral-detail": scoped("referrer"),
    "api:unit-complaint-list": page(UNIT),
    "api:upload-create": action("referrer"),  # no file: a 400 problem
    "api:my-referral-list": page(SIGNED_IN),
    "api:my-referral-detail": scoped("referrer"),
    "api:case-list": page(SIGNED_IN),
    "api:case-detail": scoped(CASE_TEAMS + " compliance"),
    "api:task-list": page(SIGNED_IN),
    "api:task-detail": scoped("police"),
    "api:task-assign": scoped(None, "adviser"),
    "api:task-claim": scoped(None, "police"),  # already theirs: a 400 that says so
    "api:task-complete": scoped(None, "police"),
    "api:task-unclaim": scoped(None, "police adviser"),
    # Reference data is everyone's who is signed in; the audit trail is the unit's; anyone
    # may complain (a complaint with no answers is a 400 that says what is needed).
    "api:region-list": page(SIGNED_IN),
    "api:police-force-list": page(SIGNED_IN),
    "api:local-authority-list": page(SIGNED_IN),
    "api:postcode-detail": page(SIGNED_IN),
    "api:audit-event-list": page(UNIT),
    "api:audit-event-export": page(UNIT),
    "api:complaint-create": page(None, EVERYONE),
    # Webhooks are an organisation's system's, by its client's token: no person has any.
    "api:webhook-list": page("", ""),
    "api:webhook-detail": scoped(""),
    "api:webhook-deliveries": scoped(""),
    # The referrer's journey: their own drafts and questions only.
    "referrals:list": page("referrer", "referrer"),
    "referrals:start": page("referrer", "referrer"),
    "referrals:create": action("referrer"),
    "referrals:detail": scoped("referrer", "referrer"),
    "referrals:resume": scoped("referrer", "referrer"),
    "referrals:attachments": scoped("referrer", "referrer"),
    "referrals:attachment_download": scoped("referrer", "referrer"),
    "referrals:attachment_remove": scoped(None, "referrer"),
    "referrals:check": scoped("referrer", "referrer"),
    "referrals:declaration": scoped("referrer", "referrer"),
    "referrals:confirmation": scoped("referrer", "referrer"),
    "referrals:answer": scoped(None, "referrer"),
    "referrals:section": scoped("referrer", "referrer"),
    # Tasks and the adviser's queue. The task is the police acknowledgement: the police
    # team works it, its region's advisers see and steer it.
    "workflows:my_tasks": page("police la chair panel adviser"),
    "workflows:task": scoped("police adviser", "police"),
    "workflows:claim": scoped(None, "police adviser"),
    "workflows:unclaim": scoped(None, "police adviser"),
    "workflows:pause": scoped("police adviser", "police adviser"),
    "workflows:resume": scoped("police adviser", "police adviser"),
    "workflows:queue": page("adviser"),
    "workflows:assign": action("adviser"),
    # The case: its teams, and the investigator under break-glass (read only). Police
    # records and police steps are the police team's.
    "workflows:case": scoped(CASE_TEAMS + " compliance"),
    "workflows:deconfliction": scoped("police", "police"),
    "workflows:share": scoped("police", "police"),
    "workflows:note": scoped(CASE_TEAMS, CASE_TEAMS),
    "workflows:initial_discussion": scoped("police la chair", "police la chair"),
    "workflows:home_visit_assessment": scoped("police", "police"),
    "workflows:home_visit": scoped("police", "police"),
    "workflows:transfer": scoped("adviser", "adviser"),
    "workflows:ask_referrer": scoped(CASE_TEAMS, CASE_TEAMS),
    "workflows:duplicate": scoped("adviser", "adviser"),
    # Channel: the case in support is the panel's; the provider records sessions on the
    # intervention commissioned from them, as does its owner (the chair).
    "channel:home": page("chair panel"),
    "channel:meeting_create": page("chair panel", "chair panel"),
    "channel:meeting": scoped("chair panel", "chair panel"),
    "channel:task": scoped("chair panel", "chair panel"),
    "channel:consent_withdraw": scoped("chair panel", "chair panel"),
    "channel:intervention_add": scoped("chair panel", "chair panel"),
    "channel:interventions": page("provider"),
    "channel:session": scoped("chair provider", "chair provider"),
    # Complaints: anyone may complain; the unit works them.
    "compliance:complaint_start": page(EVERYONE),
    "compliance:complaint_public": page(EVERYONE, EVERYONE),
    "compliance:complaint_practitioner": page(SIGNED_IN, SIGNED_IN),
    "compliance:complaint_sent": page(EVERYONE),
    "compliance:home": page(UNIT),
    "compliance:complaint": scoped(UNIT, other_get=UNIT),
    # Only the investigator works the investigation, and asks for break-glass sight of the
    # case their complaint is linked to.
    "compliance:complaint_step": scoped("compliance", "compliance"),
    "compliance:break_glass": scoped("compliance", "compliance"),
    "compliance:my_access": page(UNIT),
    "compliance:break_glass_end": scoped(None, "compliance"),
    "compliance:break_glass_withdraw": scoped(None, "compliance"),
    # Two people: the unit sees requests; a second officer (never the one who asked)
    # decides. The other scope's requests are another officer's, so ours may decide them.
    "compliance:approvals": page(UNIT),
    "compliance:break_glass_decision": scoped(UNIT, "head", other_get=UNIT, other_post=UNIT),
    "compliance:case_link_decision": scoped(UNIT, "head", other_get=UNIT, other_post=UNIT),
    "compliance:approvals_report": page("head"),
    "compliance:audit": page(UNIT),
    "compliance:audit_export": page(UNIT),
    "compliance:case_readers": page(UNIT),
    "compliance:audit_verify": action(UNIT),
    "compliance:figures": page(UNIT),
}
# The Django admin site is the administrator's, every page of it, whatever the object.
ADMIN_SITE = page("admin", "admin")
ADMIN_EXCEPTIONS = {
    "admin:login": page(EVERYONE, EVERYONE),
    # Signing out of the admin is a POST; a GET only sends back to the admin's front page.
    "admin:logout": page(" ".join(r for r in ROLES if r != "admin"), EVERYONE),
    "admin:password_change_done": page("admin"),
    "admin:jsi18n": page("admin"),
    # No admin form uses autocomplete, and no model links to a page of the site: both
    # refuse everyone.
    "admin:autocomplete": page(""),
    "admin:view_on_site": page(""),
}


class Rollback(Exception):
    """Raised to undo a request's writes once its response is in hand."""


@dataclass
class Scope:
    """One area's objects: a submitted case (its acknowledgements open), a case in Channel
    support, a draft with a document, a question to the referrer, a possible duplicate, a
    complaint linked to the submitted case and, in the own scope, the unit's break-glass."""

    values: dict[str, str]
    draft_values: dict[str, str]
    channel_values: dict[str, str]


@dataclass
class World:
    own: Scope
    other: Scope
    users: dict[str, object]
    clients: dict[str, Client] = field(default_factory=dict)


def _scope(people: People, la_code: str, officer, provider, *, approve: bool) -> Scope:
    """`officer` investigates this scope's complaints: asks for break-glass sight of the
    submitted case (approved by a second officer if `approve`, else awaiting one) and asks
    to link a second complaint to a case its complainant did not name."""
    submitted = SubmittedCaseFactory(people=people, la_code=la_code)
    support = InSupportFactory(people=people, la_code=la_code)
    chair = make_chair(people, la_code)
    intervention = channel.intervention_add(
        referral=support,
        user=people.panel,
        kind="mentoring",
        description="Mentoring",
        owner=chair,
        provider=provider,
    )
    meeting = channel.panel_meeting_create(
        panel=route_local_authority(la_code).channel_panel,
        user=chair,
        meets_on=timezone.localdate(),
    )
    channel.agenda_add(meeting=meeting, referral=support, purpose="review", user=chair)
    question = clocks.information_request_create(
        referral=submitted, user=people.police, question="Has anything changed?"
    )
    duplicate = PossibleDuplicate.objects.create(
        referral=submitted, earlier=submit_referral(people.referrer, la_code=la_code), score=0.9
    )
    draft = referral_services.referral_create_draft(user=people.referrer)
    attachment = referral_services.attachment_add(
        user=people.referrer,
        referral=draft,
        uploaded_file=SimpleUploadedFile("notes.txt", b"Notes of a meeting"),
    )
    complaint = linked_investigation(submitted, officer)
    grant = (
        break_glass_granted(officer, submitted, reason="Investigating", minutes=60)
        if approve
        else break_glass_requested(officer, submitted, reason="Investigating", minutes=60)
    )
    second = InvestigatingComplaintFactory(
        investigator=officer, referral_reference=submitted.reference
    )
    link = complaint_case_link(
        complaint=second,
        user=officer,
        referral_reference=support.reference,
        reason="The complainant gave the wrong reference.",
    ).request
    task = open_task(submitted, "police_acknowledge")
    task_claim(task=task, user=people.police)  # so unclaiming it means something
    channel_task = CaseTask.objects.filter(referral=support, is_open=True).first()
    values = {
        "public_id": str(submitted.public_id),
        "task_pk": str(task.pk),
        "pk": task_api_id(task.pk),  # the API addresses tasks by their API id
        "duplicate_pk": str(duplicate.pk),
        "meeting_pk": str(AgendaItem.objects.get(referral=support).meeting_id),
        "intervention_pk": str(intervention.pk),
        "request_id": str(question.public_id),
        "grant_id": str(grant.public_id),
        "link_request_id": str(link.public_id),
        "reference": complaint.reference,
        "step": "link-case",
    }
    return Scope(
        values=values,
        draft_values={
            **values,
            "public_id": str(draft.public_id),
            "attachment_id": str(attachment.public_id),
        },
        channel_values={
            **values,
            "public_id": str(support.public_id),
            "task_pk": str(channel_task.pk),
        },
    )


def _manchester(people: People) -> People:
    """The people of a Manchester case: none of them in Camden's teams."""
    manchester = route_local_authority(MANCHESTER)
    return People(
        referrer=people.other_referrer,
        other_referrer=people.referrer,
        police=people.police_other_region,
        police2=people.police_other_region,
        la=people.la_other_la,
        la2=people.la_other_la,
        adviser=people.adviser_other_region,
        adviser2=people.adviser_other_region,
        police_other_region=people.police,
        la_other_la=people.la,
        adviser_other_region=people.adviser,
        westminster_la=people.westminster_la,
        panel=make_user(
            "panel@manchester.example", Role.CHANNEL_PANEL_MEMBER, manchester.channel_panel
        ),
        compliance=people.compliance,
    )


@pytest.fixture
def world(people, private_storage) -> World:
    postcodes_load()  # so the postcode lookup has NW1 2DB to answer
    provider = make_user("mentor@provider.example", Role.INTERVENTION_PROVIDER)
    other_provider = make_user("mentor@nw-provider.example", Role.INTERVENTION_PROVIDER)
    admin = make_user("admin@service.example", Role.ADMINISTRATOR)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    own = _scope(people, CAMDEN, people.compliance, provider, approve=True)
    other_officer = ComplianceOfficerFactory(full_name="Olu Other")
    other = _scope(_manchester(people), MANCHESTER, other_officer, other_provider, approve=False)
    users = {
        "referrer": people.referrer,
        "police2": people.police2,
        "police": people.police,
        "la": people.la2,
        "chair": people.la,
        "panel": people.panel,
        "adviser": people.adviser,
        "compliance": people.compliance,
        "head": unit_head(full_name="Hana Head"),
        "provider": provider,
        "admin": admin,
    }
    world = World(own, other, users)
    world.clients = {"anonymous": Client(raise_request_exception=False)}
    for role in ROLES[1:]:
        user = users[role]
        world.clients[role] = Client(raise_request_exception=False)
        world.clients[role].force_login(user)
    return world


# --- Asking -----------------------------------------------------------------------------------

# Sent to sign in, to come back here after: a refusal. ("/sign-in/" alone, after signing
# out, is the answer to someone allowed to sign out.)
SIGN_IN = ("/sign-in/?next=", "/admin/login/?next=")


def _admin_object_id(name: str) -> str:
    """An object of the admin page's own model (the newest), so its change pages have one."""
    label = name.removeprefix("admin:").replace("auth_user_", "accounts_user_")
    for model in apps.get_models():
        if label.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            newest = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
            return str(newest or 0)
    return "0"


def _values(scope: Scope, template: Template, world: World) -> dict[str, str]:
    name = template.name
    if name.startswith("referrals:") and name != "referrals:answer":
        values = scope.draft_values
    elif name.startswith("channel:"):
        values = scope.channel_values
    else:
        values = scope.values
    extra = {
        "format": ".json" if template.converters.get("format") == "drf_format_suffix" else "json",
        "slug": next(iter(SECTIONS)),
        "path": "fonts/light-94a07e06a1-v2.woff2",
        "uidb64": "MQ",
        "token": "set-password",
        "postcode": "NW1 2DB",
        "object_id": _admin_object_id(name),
        "content_type_id": str(ContentType.objects.get_for_model(Referral).pk),
        "app_label": "referrals",
    }
    values = {**extra, **values}
    if name.startswith("admin:"):  # an admin page's object, whatever its hole is called
        values.update(dict.fromkeys(("object_id", "id", "pk"), _admin_object_id(name)))
    return {hole: values.get(hole, "1") for hole in template.converters}


def _ask(client: Client, method: str, url: str, body: dict | None) -> tuple[int, str]:
    """One request, its writes undone and the client's cookies as they were (signing out
    drops the sign-in cookie)."""
    cookies = SimpleCookie(client.cookies)
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
    try:
        with transaction.atomic():
            response = getattr(client, method)(url, **kwargs)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            raise Rollback
    except Rollback:
        pass
    finally:
        client.cookies = cookies
    return response.status_code, response.get("Location", "")


def _outcome(status: int, location: str) -> str:
    if status >= 500:
        return f"server error {status}"
    if status == 405:
        return "not served"
    if status in (401, 403, 404) or (status == 302 and location.startswith(SIGN_IN)):
        return "refused"
    return "allowed"


# What even the administrator may not do there: the audit trail and its checkpoints are
# append-only, referrals (routing only, no content) and reference counters are the service's,
# and processes, tasks, sign-in records and emails are made by the service, never by hand.
ADMIN_READ_ONLY = {
    "viewflow_process": {"add"},
    "viewflow_task": {"add"},
    "axes_accessattempt": {"add"},
    "axes_accesslog": {"add"},
    "axes_accessfailurelog": {"add"},
    "notifications_notification": {"add", "delete"},
    "api_apiclient": {"delete"},  # revoked, never deleted: the audit trail names the client
    **dict.fromkeys(
        (
            "compliance_auditevent",
            "compliance_auditcheckpoint",
            "referrals_referral",
            "referrals_referencecounter",
        ),
        {"add", "delete", "change"},
    ),
}


def _admin_access(name: str, path: str) -> Access:
    if name == "admin:":  # unnamed: an object's old address, or one the site does not have
        return ADMIN_SITE if path.endswith("/{object_id}/") else page("")
    if name in ADMIN_EXCEPTIONS:
        return ADMIN_EXCEPTIONS[name]
    model, _, view = name.removeprefix("admin:").rpartition("_")
    refused = ADMIN_READ_ONLY.get(model, set())
    if view in ("add", "delete") and view in refused:
        return page("")
    if view == "change" and view in refused:
        return page("admin")  # seen, never changed
    return ADMIN_SITE


def _access(template: Template) -> Access:
    if template.name.startswith("admin:"):
        return _admin_access(template.name, template.path)
    return MATRIX[template.name]


def _body(template: Template, world: World) -> dict | None:
    """What a user allowed to act would send, so an answer is about who asks, not what."""
    if template.name == "api:task-assign":
        return {"assignee": world.users["police2"].email, "reason": "Covering leave"}
    return None


# --- The tests --------------------------------------------------------------------------------


def test_every_url_is_in_the_table():
    templates = list(url_templates())
    assert [t.path for t in templates if not t.name] == [], "every URL pattern has a name"
    names = {t.name for t in templates}
    missing = sorted(n for n in names if not n.startswith("admin:") and n not in MATRIX)
    stale = sorted(set(MATRIX) - names)
    assert (missing, stale) == ([], [])


def test_every_role_on_every_url_meets_the_table(world, quiet_request_log):
    wrong, asked = [], 0
    for template in url_templates():
        access = _access(template)
        scopes = [("own", access.own)]
        if access.other is not None:
            scopes.append(("other", access.other))
        for scope_name, allowed_by_method in scopes:
            url = template.fill(_values(getattr(world, scope_name), template, world))
            for method in ("get", "post"):
                allowed = allowed_by_method.get(method, frozenset())
                body = _body(template, world) if method == "post" else None
                for role in ROLES:
                    outcome = _outcome(*_ask(world.clients[role], method, url, body))
                    asked += 1
                    expected = "allowed" if role in allowed else "refused"
                    if outcome != expected and (expected, outcome) != ("refused", "not served"):
                        wrong.append(
                            f"{template.name} {scope_name} {method.upper()} as {role}: "
                            f"{outcome}, expected {expected}"
                        )
    assert wrong == [], f"{len(wrong)} of {asked} answers differ:\n" + "\n".join(wrong)
