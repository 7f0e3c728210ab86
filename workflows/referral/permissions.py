"""Who sees what the police shared: the disclosure rule, beside its queryset twin.

Police records themselves are `may_see_police_records` (workflows/engine/permissions.py). A
disclosure reaches the partners it names: the LA's Prevent team, the Channel panel, or both.
Those who may see police records see every disclosure (the disclosure log), and so does the
Standards and Compliance Unit reading under break-glass, whose oversight is what was shared
with whom; it still sees no police record.
"""

import rules
from django.db.models import QuerySet

from compliance.selectors import break_glass_active
from referrals.models import Referral

from ..engine.permissions import CaseRoles, case_roles, may_view_case
from .models import Disclosure


def disclosure_audiences_for(roles: CaseRoles, *, break_glass: bool) -> frozenset[str] | None:
    """The audiences whose disclosures this reader sees; None means every disclosure."""
    if roles.police_records or break_glass:
        return None
    return Disclosure.audiences_reaching(local_authority=roles.local_authority, panel=roles.panel)


@rules.predicate
def may_see_disclosure(user, disclosure: Disclosure) -> bool:
    referral = disclosure.referral
    if not may_view_case(user, referral):
        return False
    roles = case_roles(user, referral)
    grant = None if roles.staff else break_glass_active(user=user, referral=referral)
    audiences = disclosure_audiences_for(roles, break_glass=grant is not None)
    return audiences is None or disclosure.audience in audiences


def disclosures_visible(
    referral: Referral, audiences: frozenset[str] | None
) -> QuerySet[Disclosure]:
    """The list twin of `may_see_disclosure`, for a reader whose audiences are known."""
    disclosures = Disclosure.objects.filter(referral=referral)
    if audiences is not None:
        disclosures = disclosures.filter(audience__in=audiences)
    return disclosures.select_related("shared_by", "shared_by_team").order_by("shared_at", "pk")


rules.add_rule("may_see_disclosure", may_see_disclosure)
