"""Valid answers for every page of the journey, as a browser would post them."""

from datetime import timedelta

from django.utils import timezone


def _date(prefix: str, day) -> dict:
    return {
        f"{prefix}-day": str(day.day),
        f"{prefix}-month": str(day.month),
        f"{prefix}-year": str(day.year),
    }


def valid_pages() -> dict[str, dict]:
    seen = timezone.localdate() - timedelta(days=2)
    return {
        "person": {
            "first_name": "Jordan",
            "last_name": "Example",
            "aliases": "JJ",
            **_date("date_of_birth", seen.replace(year=seen.year - 15, day=1)),
            "gender": "male",
        },
        "address": {"address_line_1": "1 Example Road", "town": "London", "postcode": "nw1 2db"},
        "circumstances": {"school_or_employer": "Example Academy", "person_aware": "no"},
        "about-you": {
            "referrer_name": "Sam Safeguarding",
            "referrer_role": "Designated safeguarding lead",
            "referrer_organisation": "Example Academy",
            "referrer_sector": "education",
            "referrer_email": "sam@example.sch.uk",
            "referrer_phone": "020 7946 0000",
        },
        "concern": {
            "concern_type": "extreme_right_wing",
            "narrative": "Has been sharing racist memes and talking about a 'race war'.",
            "seen_or_heard": "A teacher overheard him in the playground.",
            **_date("seen_on", seen),
        },
        "risk-and-needs": {"immediate_risk": "no", "complex_needs": ["needs_neurodiversity"]},
    }
