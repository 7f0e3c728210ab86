"""Demo referrals in several stages, made through the same services as the web journey.

Called by `manage.py demo_data` with the demo users. Never used in production.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from workflows.engine.clocks import information_request_create
from workflows.referral.intake import referral_submit

from .models import Referral
from .services import referral_create_draft, referral_update_section


def _date(prefix: str, day) -> dict:
    return {f"{prefix}-day": day.day, f"{prefix}-month": day.month, f"{prefix}-year": day.year}


def _answers(person: dict, postcode: str, concern: dict, referrer) -> dict[str, dict]:
    today = timezone.localdate()
    return {
        "person": {"gender": "not_known", **person},
        "address": {
            "address_line_1": "1 Example Street",
            "town": "Example Town",
            "postcode": postcode,
        },
        "circumstances": {
            "school_or_employer": referrer.organisation,
            "person_aware": "no",
            "languages": "English",
        },
        "about-you": {
            "referrer_name": referrer.full_name,
            "referrer_role": "Designated safeguarding lead",
            "referrer_organisation": referrer.organisation,
            "referrer_sector": "education",
            "referrer_email": referrer.email,
            "referrer_phone": "020 7946 0000",
        },
        "concern": {**_date("seen_on", today - timedelta(days=4)), **concern},
        "risk-and-needs": {"immediate_risk": "no", "complex_needs": ["needs_neurodiversity"]},
    }


def _make(referrer, answers: dict[str, dict], *, submit: bool) -> Referral:
    referral = referral_create_draft(user=referrer)
    for section, data in answers.items():
        referral = referral_update_section(
            user=referrer, referral=referral, section=section, data=data
        )
    if submit:
        referral = referral_submit(user=referrer, referral=referral, declaration_confirmed=True)
    return referral


def build_cases(users) -> str:
    camden = users.by_key["referrer-camden"]
    manchester = users.by_key["referrer-manchester"]
    if Referral.objects.filter(created_by__in=[camden, manchester]).exists():
        return "Demo referrals: already present, left as they are"
    today = timezone.localdate()
    made = {"draft": 0, "submitted": 0}
    with transaction.atomic():
        dob = today.replace(year=today.year - 15, day=1)
        ryan = {
            "first_name": "Ryan",
            "last_name": "Example",
            "aliases": "Ry",
            **_date("date_of_birth", dob),
            "gender": "male",
        }
        right_wing = {
            "concern_type": "extreme_right_wing",
            "narrative": "Has been sharing racist memes and talking about a coming 'race war'.",
            "seen_or_heard": "His form tutor overheard him in the corridor.",
            "online_activity": "Follows several accounts that post extreme right-wing material.",
        }
        drafts = [
            (
                camden,
                {
                    "person": {
                        "first_name": "Amira",
                        "last_name": "Sample",
                        "approximate_age": 14,
                        "gender": "female",
                    }
                },
            ),
            (
                manchester,
                {
                    "person": {
                        "first_name": "Leo",
                        "last_name": "Placeholder",
                        **_date("date_of_birth", dob.replace(year=dob.year - 1)),
                        "gender": "male",
                    }
                },
            ),
        ]
        for referrer, answers in drafts:
            _make(referrer, answers, submit=False)
            made["draft"] += 1
        first = _make(camden, _answers(ryan, "NW1 2DB", right_wing, camden), submit=True)
        # A repeat referral about the same young person, from another school: it is linked
        # to the first as a possible previous referral for triage to confirm or dismiss.
        _make(
            camden,
            _answers(
                {**ryan, "first_name": "Rian"},
                "NW1 2DB",
                {
                    **right_wing,
                    "narrative": "Has shown other pupils videos of mass-casualty attacks.",
                    "concern_type": "violence_fascination",
                },
                camden,
            ),
            submit=True,
        )
        _make(
            manchester,
            _answers(
                {
                    "first_name": "Hana",
                    "last_name": "Demo",
                    "approximate_age": 19,
                    "gender": "female",
                },
                "M60 2LA",
                {
                    "concern_type": "islamist",
                    "narrative": "Has started to express support for a proscribed group.",
                    "seen_or_heard": "A lecturer read her posts on a college forum.",
                },
                manchester,
            ),
            submit=True,
        )
        made["submitted"] += 3
        information_request_create(
            referral=first,
            user=users.by_key["la-camden"],
            question="Has Ryan said anything more about the 'race war' since you referred him?",
        )
    return f"Demo referrals: {made['submitted']} submitted, {made['draft']} drafts"
