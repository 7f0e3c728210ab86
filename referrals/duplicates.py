"""Possible previous referrals about the same person.

Matches are only ever *linked* for triage staff to confirm or dismiss: nothing is merged, and
the referrer is never told. The rule favours precision — a near-miss (a sibling, a parent with
the same name, a similar name born on another day) must not be linked — so a link needs a
strong name match *and* something else about the person that agrees, and is vetoed by a
clear disagreement (two different dates of birth, two different recorded sexes).

Candidates come from one query on indexed columns (date of birth, postcode, and on PostgreSQL
the trigram index on `search_names`); scoring is plain Python and identical on every database.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from django.db import connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from compliance.audit import audit_record

from .models import Gender, PossibleDuplicate, Referral, ReferralStatus

STRONG_NAME = 0.85
MAX_CANDIDATES = 200
_VOWELS = re.compile(r"[aeiouy]")


def normalise_name(text: str) -> str:
    """'  José  O'Brien-Smith ' -> 'jose obrien smith' (accent-free, lower case, letters only)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    ascii_only = re.sub(r"['’`]", "", ascii_only)
    return " ".join(re.sub(r"[^a-z]+", " ", ascii_only).split())


def name_variants(*, first_name: str, last_name: str, aliases: str) -> list[list[str]]:
    """Each name the person is known by, as tokens. A one-word alias borrows the last name."""
    last = normalise_name(last_name).split()
    variants = [normalise_name(f"{first_name} {last_name}").split()]
    for line in (aliases or "").splitlines():
        tokens = normalise_name(line).split()
        if len(tokens) == 1 and last:
            tokens = tokens + last
        if tokens:
            variants.append(tokens)
    return [v for v in variants if v]


def search_names_for(referral: Referral) -> str:
    """The value stored in `Referral.search_names`: every name token, once, in order."""
    seen: dict[str, None] = {}
    for variant in name_variants(
        first_name=referral.first_name, last_name=referral.last_name, aliases=referral.aliases
    ):
        for token in variant:
            seen.setdefault(token, None)
    return " ".join(seen)


def _skeleton(token: str) -> str:
    """First letter, then the consonants with doubled letters collapsed: 'mohammed' -> 'mhmd'."""
    return token[:1] + re.sub(r"(.)\1+", r"\1", _VOWELS.sub("", token[1:]))


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if min(len(a), len(b)) == 1:
        return 0.8 if a[0] == b[0] else 0.0
    if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 2:
        # One adjacent transposition (Khan / Kahn) is a typing slip, not another name.
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return 0.9
    skeleton = _skeleton(a)
    if len(skeleton) >= 4 and skeleton == _skeleton(b):
        # Transliterations that differ only in vowels and doubled letters, for names with
        # enough consonants that this is not another name (Mohammed / Muhammad; not Tom / Tim,
        # nor Hassan / Hussein).
        return 0.9
    return SequenceMatcher(None, a, b).ratio()


def _variant_similarity(a: list[str], b: list[str]) -> float:
    """How well the shorter name is covered by the longer, in any order (the weakest token)."""
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if len(shorter) < 2 and len(longer) >= 2:
        return 0.0
    remaining = list(longer)
    weakest = 1.0
    for token in shorter:
        best = max(remaining, key=lambda other: _token_similarity(token, other))
        weakest = min(weakest, _token_similarity(token, best))
        remaining.remove(best)
    return weakest


def name_similarity(a: list[list[str]], b: list[list[str]]) -> tuple[float, list[str], list[str]]:
    """The best similarity between any name of one person and any name of the other."""
    best = (0.0, [], [])
    for variant_a in a:
        for variant_b in b:
            score = _variant_similarity(variant_a, variant_b)
            if score > best[0]:
                best = (score, variant_a, variant_b)
    return best


def _swapped(day: date | None) -> date | None:
    if day is None or day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def _age_on(referral: Referral, day: date) -> int | None:
    """Age on `day`; an approximate age is taken as given when the referral was made."""
    if referral.date_of_birth:
        return referral.age_on(day)
    if referral.approximate_age is None:
        return None
    given_on = (referral.submitted_at or referral.created_at).date()
    return referral.approximate_age + (day.year - given_on.year)


@dataclass(frozen=True)
class Match:
    earlier: Referral
    score: float
    reasons: list[str]


def _compare(referral: Referral, earlier: Referral, variants: list[list[str]]) -> Match | None:
    earlier_variants = name_variants(
        first_name=earlier.first_name, last_name=earlier.last_name, aliases=earlier.aliases
    )
    name_score, ours, theirs = name_similarity(variants, earlier_variants)
    if name_score < STRONG_NAME:
        return None
    sexes = {referral.gender, earlier.gender}
    if sexes == {Gender.FEMALE, Gender.MALE}:
        return None

    reasons = []
    if ours == variants[0] and theirs == earlier_variants[0]:
        reasons.append("Same name" if name_score == 1.0 else "Similar name")
    else:
        reasons.append(f"Name matches a name they are also known by ({' '.join(theirs).title()})")

    corroboration = 0.0
    if referral.date_of_birth and earlier.date_of_birth:
        if referral.date_of_birth == earlier.date_of_birth:
            corroboration += 0.35
            reasons.append("Same date of birth")
        elif _swapped(referral.date_of_birth) == earlier.date_of_birth:
            corroboration += 0.25
            reasons.append("Date of birth with day and month swapped")
        else:
            return None
    else:
        when = (referral.submitted_at or earlier.submitted_at).date()
        ours_age, theirs_age = _age_on(referral, when), _age_on(earlier, when)
        if ours_age is not None and theirs_age is not None and abs(ours_age - theirs_age) <= 2:
            same_area = referral.local_authority_id == earlier.local_authority_id or (
                referral.postcode and referral.postcode == earlier.postcode
            )
            if same_area:
                corroboration += 0.15
                reasons.append("Similar age in the same area")

    if referral.postcode and referral.postcode == earlier.postcode:
        corroboration += 0.2
        reasons.append("Same postcode")
    if corroboration == 0.0:
        return None
    return Match(
        earlier=earlier, score=round(min(1.0, 0.5 * name_score + corroboration), 3), reasons=reasons
    )


def _candidates(referral: Referral) -> list[Referral]:
    """Earlier submitted referrals sharing something indexed with this one (one query)."""
    wanted = Q()
    dates = [d for d in (referral.date_of_birth, _swapped(referral.date_of_birth)) if d]
    if dates:
        wanted |= Q(date_of_birth__in=dates)
    if referral.postcode:
        wanted |= Q(postcode=referral.postcode)
    search = referral.search_names or search_names_for(referral)
    if search:
        if connection.vendor == "postgresql":
            # `%` is pg_trgm's similarity operator, answered from the GIN trigram index.
            wanted |= RawSQL(
                "referrals_referral.search_names %% %s", [search], output_field=BooleanField()
            )
        else:
            for token in search.split():
                if len(token) >= 3:
                    wanted |= Q(search_names__contains=token)
    if not wanted:
        return []
    earlier = Q(submitted_at__lt=referral.submitted_at) | Q(
        submitted_at=referral.submitted_at, pk__lt=referral.pk
    )
    return list(
        Referral.objects.exclude(pk=referral.pk)
        .exclude(status=ReferralStatus.DRAFT)
        .filter(submitted_at__isnull=False)
        .filter(earlier)
        .filter(wanted)
        .only(
            "id",
            "reference",
            "first_name",
            "last_name",
            "aliases",
            "date_of_birth",
            "approximate_age",
            "gender",
            "postcode",
            "local_authority_id",
            "submitted_at",
            "created_at",
            "status",
        )
        .order_by("-submitted_at")[:MAX_CANDIDATES]
    )


def duplicates_find(*, referral: Referral) -> list[Match]:
    """Earlier referrals that may be about the same person, best first. Reads only."""
    if referral.submitted_at is None:
        return []
    variants = name_variants(
        first_name=referral.first_name, last_name=referral.last_name, aliases=referral.aliases
    )
    if not variants:
        return []
    matches = [m for c in _candidates(referral) if (m := _compare(referral, c, variants))]
    return sorted(matches, key=lambda m: (-m.score, -m.earlier.submitted_at.timestamp()))


def duplicates_link(*, referral: Referral) -> list[PossibleDuplicate]:
    """Link every possible previous referral about the same person. Never merges anything.

    Idempotent: links that already exist (and any decision recorded on them) are kept.
    """
    matches = duplicates_find(referral=referral)
    with transaction.atomic(savepoint=False):  # all or nothing with the caller's work
        if matches:
            existing = set(
                PossibleDuplicate.objects.filter(referral=referral).values_list(
                    "earlier_id", flat=True
                )
            )
            new = [m for m in matches if m.earlier.pk not in existing]
            PossibleDuplicate.objects.bulk_create(
                [
                    PossibleDuplicate(
                        referral=referral, earlier=m.earlier, score=m.score, reasons=m.reasons
                    )
                    for m in new
                ],
                ignore_conflicts=True,
            )
            if new:
                audit_record(
                    action="referral.possible_duplicates_linked",
                    obj=referral,
                    case_reference=referral.reference or "",
                    detail={"earlier": [m.earlier.reference for m in new]},
                )
        return list(PossibleDuplicate.objects.filter(referral=referral).select_related("earlier"))
