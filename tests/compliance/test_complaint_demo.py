"""Demo complaints are made through the services, at different stages, and only once."""

import pytest

from accounts import demo
from compliance.audit import audit_verify
from compliance.models import Complaint, ComplaintStatus
from referrals import demo as referral_demo
from workflows.complaint.demo import build_cases

pytestmark = pytest.mark.django_db


def test_demo_complaints_at_different_stages(regions_loaded):
    users = demo.build(password="demo-password-123")
    referral_demo.build_cases(users)
    summary = build_cases(users)
    assert summary.startswith("Demo complaints: 3")
    assert "linked to PRV-" in summary
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert statuses == {
        ComplaintStatus.RECEIVED,
        ComplaintStatus.INVESTIGATING,
        ComplaintStatus.CLOSED,
    }
    investigating = Complaint.objects.get(status=ComplaintStatus.INVESTIGATING)
    assert investigating.investigator == users.by_key["compliance"]
    assert investigating.linked_referral is not None
    assert build_cases(users).endswith("already present, left as they are")
    assert Complaint.objects.count() == 3
    assert audit_verify().ok
