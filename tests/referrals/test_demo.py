"""Demo referrals are made through the services, in several stages, and only once."""

import pytest

from accounts import demo
from referrals.demo import build_cases
from referrals.models import InformationRequest, PossibleDuplicate, Referral, ReferralStatus

pytestmark = pytest.mark.django_db


def test_demo_referrals_in_several_stages(regions_loaded):
    users = demo.build(password="demo-password-123")
    summary = build_cases(users)
    assert summary == "Demo referrals: 3 submitted, 2 drafts"
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert ReferralStatus.DRAFT in statuses and len(statuses) >= 2
    assert PossibleDuplicate.objects.count() == 1, "the repeat referral is linked"
    assert InformationRequest.objects.filter(answered_at__isnull=True).count() == 1
    assert build_cases(users).endswith("already present, left as they are")
    assert Referral.objects.count() == 5
