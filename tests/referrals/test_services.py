"""Writes: drafts, submission as one transaction, the receipt, and answering questions."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from compliance.models import AuditEvent
from config.errors import ApplicationError, PermissionDenied
from notifications.models import Notification
from referrals import services
from referrals.models import ReferenceCounter, Referral, ReferralStatus
from regions.selectors import route_local_authority
from tests.factories import (
    DraftReferralFactory,
    EmptyDraftReferralFactory,
    InformationRequestFactory,
    SubmittedReferralFactory,
    UserFactory,
)
from workflows.engine.clocks import information_request_answer
from workflows.referral.intake import referral_submit

pytestmark = pytest.mark.django_db


def test_a_draft_starts_with_about_you_from_the_account(referrer):
    referrer.job_title, referrer.phone = "Deputy head", "020 7946 0001"
    referral = services.referral_create_draft(user=referrer)
    assert referral.status == ReferralStatus.DRAFT and referral.reference is None
    assert referral.referrer_name == referrer.full_name
    assert referral.referrer_email == referrer.email
    assert referral.referrer_organisation == referrer.organisation
    assert (referral.referrer_role, referral.referrer_phone) == ("Deputy head", "020 7946 0001")
    assert AuditEvent.objects.filter(action="referral.draft_created").count() == 1


def test_only_referrers_make_referrals(police_officer):
    with pytest.raises(PermissionDenied):
        services.referral_create_draft(user=police_officer)
    assert not Referral.objects.exists()


def test_another_referrer_cannot_change_a_draft(referrer, other_referrer):
    draft = EmptyDraftReferralFactory(created_by=referrer)
    with pytest.raises(PermissionDenied):
        services.referral_update_section(
            user=other_referrer,
            referral=draft,
            section="circumstances",
            data={"person_aware": "yes"},
        )
    draft.refresh_from_db()
    assert draft.person_aware == ""


def _submit(referrer, referral, **kwargs):
    return referral_submit(user=referrer, referral=referral, declaration_confirmed=True, **kwargs)


def test_submission_assigns_reference_routes_and_starts_the_process(referrer):
    draft = DraftReferralFactory(created_by=referrer, aliases="JJ Smith")
    referral = _submit(referrer, draft)
    year = timezone.localdate().year
    assert re.fullmatch(rf"PRV-{year}-\d{{6}}", referral.reference)
    assert referral.reference == f"PRV-{year}-000001"
    assert referral.status in {ReferralStatus.SUBMITTED, ReferralStatus.IN_PROGRESS}
    assert referral.submitted_at is not None and referral.declaration_confirmed
    route = route_local_authority("E09000007")
    assert referral.region == route.region
    assert referral.police_force_area == route.police_force_area
    assert referral.local_authority == route.local_authority
    assert referral.search_names == f"alex {draft.last_name.lower()} jj smith"
    event = AuditEvent.objects.get(action="referral.submitted")
    assert event.case_reference == referral.reference and event.actor_id == referrer.pk
    assert event.object_id == str(referral.public_id)

    # The flow has begun: acknowledgement tasks for the area's police and LA teams only.
    teams = {task.team for task in referral.case_tasks.all()}
    assert teams == {route.ctp_team, route.la_team}


def test_references_count_up_within_a_year(referrer):
    first = _submit(referrer, DraftReferralFactory(created_by=referrer))
    second = _submit(referrer, DraftReferralFactory(created_by=referrer))
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1
    counted = ReferenceCounter.objects.filter(year=timezone.localdate().year)
    if connection.vendor == "postgresql":  # a sequence per year; the counter row is not used
        assert not counted.exists()
    else:
        assert counted.get().last_number == 2


def test_receipt_is_queued_once_and_sent_after_commit(referrer, django_capture_on_commit_callbacks):
    draft = DraftReferralFactory(created_by=referrer)
    with django_capture_on_commit_callbacks(execute=True):
        referral = _submit(referrer, draft)
    receipts = Notification.objects.filter(kind="referral_receipt")
    assert receipts.count() == 1
    receipt = receipts.get()
    assert receipt.to == [referrer.email] and receipt.case_reference == referral.reference
    sent = [m for m in mail.outbox if referral.reference in m.subject]
    assert len(sent) == 1
    assert sent[0].to == [referrer.email]
    assert referral.reference in sent[0].body
    assert draft.last_name not in sent[0].body, "email never names the person referred"
    with pytest.raises(ApplicationError, match="already been submitted"):
        _submit(referrer, referral)
    assert receipts.count() == 1


def test_nothing_is_sent_before_commit(referrer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _submit(referrer, DraftReferralFactory(created_by=referrer))
    assert mail.outbox == [] and callbacks


def test_if_the_process_cannot_start_nothing_is_left_half_made(
    referrer, monkeypatch, django_capture_on_commit_callbacks
):
    from workflows.referral import intake as workflow_services

    draft = DraftReferralFactory(created_by=referrer)
    before = Referral.objects.filter(pk=draft.pk).values().get()
    events_before = AuditEvent.objects.count()

    def broken(**kwargs):
        raise RuntimeError("workflow engine unavailable")

    monkeypatch.setattr(workflow_services, "referral_process_start", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        _submit(referrer, draft)

    after = Referral.objects.filter(pk=draft.pk).values().get()
    assert after == before
    assert after["status"] == ReferralStatus.DRAFT and after["reference"] is None
    assert not ReferenceCounter.objects.filter(last_number__gt=0).exists()
    assert AuditEvent.objects.count() == events_before
    assert not Notification.objects.exists() and mail.outbox == []

    monkeypatch.undo()
    referral = _submit(referrer, draft)
    assert referral.reference.endswith("-000001"), "the failed attempt used no number"


def test_incomplete_drafts_cannot_be_submitted(referrer):
    draft = EmptyDraftReferralFactory(created_by=referrer)
    with pytest.raises(services.IncompleteReferral) as caught:
        _submit(referrer, draft)
    assert [s.slug for s in caught.value.sections] == [
        "person",
        "address",
        "circumstances",
        "about-you",
        "concern",
        "risk-and-needs",
    ]
    draft.refresh_from_db()
    assert draft.status == ReferralStatus.DRAFT and draft.reference is None


def test_unknown_postcode_without_a_chosen_authority_is_incomplete(referrer):
    draft = DraftReferralFactory(created_by=referrer, postcode="NW1 9ZZ", local_authority=None)
    with pytest.raises(services.IncompleteReferral) as caught:
        _submit(referrer, draft)
    assert [s.slug for s in caught.value.sections] == ["local-authority"]


def test_the_declaration_is_required(referrer):
    draft = DraftReferralFactory(created_by=referrer)
    with pytest.raises(services.InvalidForm) as caught:
        referral_submit(user=referrer, referral=draft, declaration_confirmed=False)
    assert caught.value.form.errors == {
        "confirm": ["Confirm that the information you have given is correct"]
    }
    draft.refresh_from_db()
    assert draft.status == ReferralStatus.DRAFT


def test_another_referrer_cannot_submit(referrer, other_referrer):
    draft = DraftReferralFactory(created_by=referrer)
    with pytest.raises(PermissionDenied):
        _submit(other_referrer, draft)


class TestInformationRequests:
    def test_the_referrer_answers_and_the_asker_is_told(
        self, referrer, django_capture_on_commit_callbacks
    ):
        question = InformationRequestFactory(referral=SubmittedReferralFactory(created_by=referrer))
        with django_capture_on_commit_callbacks(execute=True):
            information_request_answer(
                user=referrer, information_request=question, answer="He has moved school."
            )
        question.refresh_from_db()
        assert question.answer == "He has moved school." and question.answered_at
        assert AuditEvent.objects.filter(action="information_request.answered").count() == 1
        assert [m.to for m in mail.outbox] == [[question.requested_by.email]]

    def test_blank_and_marked_answers_are_refused(self, referrer):
        question = InformationRequestFactory(referral=SubmittedReferralFactory(created_by=referrer))
        for answer, message in [
            ("", "Enter your answer"),
            ("TOP SECRET report attached", "Do not enter information classified above"),
        ]:
            with pytest.raises(services.InvalidForm) as caught:
                information_request_answer(
                    user=referrer, information_request=question, answer=answer
                )
            assert caught.value.form.errors["answer"][0].startswith(message)
        question.refresh_from_db()
        assert question.answered_at is None

    def test_only_the_referrer_may_answer_and_only_once(self, referrer, other_referrer):
        question = InformationRequestFactory(referral=SubmittedReferralFactory(created_by=referrer))
        with pytest.raises(PermissionDenied):
            information_request_answer(
                user=other_referrer, information_request=question, answer="x"
            )
        information_request_answer(user=referrer, information_request=question, answer="First")
        with pytest.raises(ApplicationError, match="already answered"):
            information_request_answer(user=referrer, information_request=question, answer="Second")
        question.refresh_from_db()
        assert question.answer == "First"

    def test_closed_referrals_take_no_answers(self, referrer):
        question = InformationRequestFactory(
            referral=SubmittedReferralFactory(created_by=referrer, status=ReferralStatus.CLOSED)
        )
        with pytest.raises(ApplicationError, match="closed"):
            information_request_answer(user=referrer, information_request=question, answer="x")


def test_staff_cannot_use_referrer_services(referrer):
    staff = UserFactory()
    draft = DraftReferralFactory(created_by=referrer)
    with pytest.raises(PermissionDenied):
        services.referral_update_section(
            user=staff, referral=draft, section="circumstances", data={"person_aware": "yes"}
        )
