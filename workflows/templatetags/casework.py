"""Display helpers for the referral pages: stage titles, timeline wording, sortable columns."""

from django import template

from ..engine.registry import stage_titles

register = template.Library()

EVENT_TITLES = {
    "referral.submitted": "Referral submitted",
    "referral.possible_duplicates_linked": "Possible earlier referrals found",
    "case.routed": "Routed to region and local authority",
    "case.transferred": "Case transferred",
    "case.outcome": "Case outcome recorded",
    "case_note.added": "Case note added",
    "task.created": "Task opened",
    "task.claimed": "Task claimed",
    "task.unclaimed": "Task released",
    "task.assigned": "Task assigned",
    "task.completed": "Task completed",
    "task.overdue": "Task overdue",
    "task.clock_paused": "Clock paused",
    "task.clock_resumed": "Clock restarted",
    "deconfliction.recorded": "Deconfliction check recorded",
    "initial_discussion.recorded": "Initial discussion recorded",
    "initial_discussion.confirmed": "Initial discussion confirmed",
    "threshold.decided": "Threshold decision",
    "threshold.assurance": "Assurance review",
    "outcome.below_threshold": "Below-threshold outcome and letter",
    "risk_assessment.recorded": "Risk assessment recorded",
    "home_visit.risk_assessed": "Home-visit risk assessment",
    "home_visit.recorded": "Home visit recorded",
    "outcome.decided": "Outcome decision",
    "duplicate.decided": "Possible duplicate decided",
    "information.requested": "Question sent to the referrer",
    "information_request.answered": "Referrer answered a question",
    "channel.referred": "Referred to the Channel panel",
    "attachment.added": "Supporting document added",
    "attachment.removed": "Supporting document removed",
    "break_glass.opened": "Break-glass access opened",
    "break_glass.requested": "Break-glass access requested",
    "break_glass.approved": "Break-glass access approved by a second officer",
    "break_glass.refused": "Break-glass access refused by a second officer",
    "break_glass.withdrawn": "Break-glass request withdrawn",
    "break_glass.request_lapsed": "Break-glass request lapsed",
    "break_glass.self_approval_refused": "Break-glass self-approval refused",
    "break_glass.ended": "Break-glass access ended",
    "disclosure.recorded": "Police information shared",
}

# Detail keys worth showing on the timeline, with their labels.
DETAIL_LABELS = {
    "outcome": "Outcome",
    "meets_threshold": "Meets the threshold",
    "ideology": "Ideology",
    "assurance": "Assurance",
    "confirmed": "Confirmed",
    "overall_risk": "Overall risk",
    "assignee": "Assigned to",
    "previous_owner": "Previously with",
    "from_local_authority": "From",
    "to_local_authority": "To",
    "decision": "Decision",
    "earlier": "Earlier referral",
    "kind": "Kind",
    "due_on": "Due by",
    "local_authority": "Local authority",
    "region": "Region",
    "shared_with": "Shared with",
    "lawful_basis": "Lawful basis",
}


@register.filter
def stage_title(stage: str) -> str:
    return stage_titles().get(stage, (stage or "").replace("_", " ").capitalize())


@register.filter
def disclosure_stage(stage: str) -> str:
    """Where a disclosure was made: at a step, or on its own from the case page."""
    return f"at {stage_title(stage).lower()}" if stage else "new information"


@register.filter
def event_title(event) -> str:
    title = EVENT_TITLES.get(event.action)
    if title is None:
        title = event.action.replace(".", ": ").replace("_", " ").capitalize()
    stage = (event.detail or {}).get("stage")
    if stage and event.action.startswith("task."):
        title = f"{title}: {stage_title(stage)}"
    return title


def _show(value) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "":
        return "None"
    return str(value).replace("_", " ")


@register.filter
def event_details(event) -> list[tuple[str, str]]:
    detail = event.detail or {}
    return [(label, _show(detail[key])) for key, label in DETAIL_LABELS.items() if key in detail]


@register.filter
def event_by(event) -> str:
    if event.actor_id and event.actor:
        return event.actor.get_full_name() or event.actor_email
    return event.actor_email or "The system"


@register.simple_tag
def aria_sort(current: str, key: str) -> str:
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


@register.simple_tag
def next_sort(current: str, key: str) -> str:
    return f"-{key}" if current == key else key


@register.filter
def is_in(value, collection) -> bool:
    return value in (collection or ())


@register.filter
def address_lines(referral) -> list[str]:
    parts = (referral.address_line_1, referral.address_line_2, referral.town, referral.postcode)
    return [p for p in parts if p]


@register.filter
def referrer_lines(referral) -> list[str]:
    name = ", ".join(p for p in (referral.referrer_name, referral.referrer_role) if p)
    parts = (
        name,
        referral.referrer_organisation,
        referral.referrer_email,
        referral.referrer_phone,
    )
    return [p for p in parts if p]
