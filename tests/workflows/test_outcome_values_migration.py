"""Below-threshold outcomes recorded as "signpost" take the case outcome's value, both ways."""

import importlib

from django.apps import apps

from workflows.models import BelowThresholdOutcome
from workflows.referral.models import CaseOutcome

migration = importlib.import_module("workflows.migrations.0004_below_threshold_outcome_values")


def test_signpost_rows_become_signposted_and_back(people, referral):
    kept = BelowThresholdOutcome.objects.create(
        referral=referral, outcome="signpost", letter="Dear DSL", recorded_by=people.la
    )
    forwards, backwards = (
        migration.Migration.operations[1].code,
        migration.Migration.operations[1].reverse_code,
    )
    forwards(apps, None)
    kept.refresh_from_db()
    assert kept.outcome == CaseOutcome.SIGNPOSTED == BelowThresholdOutcome.Outcome.SIGNPOSTED
    backwards(apps, None)
    kept.refresh_from_db()
    assert kept.outcome == "signpost"
