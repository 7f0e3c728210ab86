"""The journey's pages: access, the referrer's list and status, check your answers, submission."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from referrals.models import Referral, ReferralStatus
from referrals.views import SUBMISSION_EXPIRED, submission_token
from tests.factories import (
    DraftReferralFactory,
    InformationRequestFactory,
    ReferrerFactory,
    SubmittedReferralFactory,
    UserFactory,
    postcodes_load,
)

from .pages import valid_pages

pytestmark = pytest.mark.django_db


def _token_on(page) -> str:
    found = re.search(r'name="submission_token" value="([^"]+)"', page.content.decode())
    assert found, "the declaration page carries a submission token"
    return found.group(1)


def _pages_of(referral: Referral) -> list[str]:
    public_id = referral.public_id
    return [
        reverse("referrals:detail", args=[public_id]),
        reverse("referrals:resume", args=[public_id]),
        reverse("referrals:section", args=[public_id, "person"]),
        reverse("referrals:attachments", args=[public_id]),
        reverse("referrals:check", args=[public_id]),
        reverse("referrals:declaration", args=[public_id]),
        reverse("referrals:confirmation", args=[public_id]),
    ]


@pytest.mark.parametrize("state", ["draft", "submitted"])
def test_another_referrer_gets_404_on_every_page(client, referrer, state):
    factory = DraftReferralFactory if state == "draft" else SubmittedReferralFactory
    referral = factory(created_by=referrer)
    client.force_login(ReferrerFactory())
    for url in _pages_of(referral):
        assert client.get(url).status_code == 404, url
        assert client.post(url, valid_pages()["person"]).status_code in {404, 405}, url
    referral.refresh_from_db()
    assert referral.first_name == "Alex"


def test_anonymous_users_are_sent_to_sign_in(client, referrer):
    referral = DraftReferralFactory(created_by=referrer)
    for url in [reverse("referrals:list"), reverse("referrals:start"), *_pages_of(referral)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/"), url


@pytest.mark.parametrize("role", [Role.CTP_PREVENT_OFFICER, Role.ADMINISTRATOR, Role.COMPLIANCE])
def test_staff_roles_cannot_use_the_referral_journey(client, referrer, role):
    referral = SubmittedReferralFactory(created_by=referrer)
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("referrals:list")).status_code == 403
    assert client.post(reverse("referrals:create")).status_code == 403
    assert client.get(reverse("referrals:detail", args=[referral.public_id])).status_code == 403
    assert not Referral.objects.filter(created_by__groups__name=role.value).exists()


def test_your_referrals_lists_only_your_own(referrer_client, referrer):
    mine = SubmittedReferralFactory(created_by=referrer)
    draft = DraftReferralFactory(created_by=referrer, first_name="Drafty")
    theirs = SubmittedReferralFactory()
    html = referrer_client.get(reverse("referrals:list")).content.decode()
    assert mine.reference in html and theirs.reference not in html
    assert reverse("referrals:resume", args=[draft.public_id]) in html
    assert "Not sent yet" in html


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (ReferralStatus.SUBMITTED, "Submitted"),
        (ReferralStatus.IN_PROGRESS, "Being assessed"),
        (ReferralStatus.CLOSED, "Closed"),
    ],
)
def test_status_is_in_plain_language(referrer_client, referrer, status, label):
    referral = SubmittedReferralFactory(created_by=referrer, status=status)
    for url in [reverse("referrals:list"), reverse("referrals:detail", args=[referral.public_id])]:
        html = referrer_client.get(url).content.decode()
        assert f">{label}</strong>" in html


def test_detail_never_shows_police_or_panel_work(referrer_client, referrer):
    from referrals.models import PossibleDuplicate

    earlier = SubmittedReferralFactory()
    referral = SubmittedReferralFactory(created_by=referrer, status=ReferralStatus.IN_PROGRESS)
    PossibleDuplicate.objects.create(referral=referral, earlier=earlier, score=0.9, reasons=[])
    html = referrer_client.get(reverse("referrals:detail", args=[referral.public_id])).content
    assert earlier.reference.encode() not in html, "never told of another referral"
    for word in [b"threshold", b"deconfliction", b"Channel panel", b"risk assessment"]:
        assert word not in html


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("referrals:list")).status_code == 200
    return len(captured)


def test_your_referrals_query_count_is_constant(
    referrer_client, referrer, django_assert_max_num_queries
):
    for _ in range(2):
        InformationRequestFactory(referral=SubmittedReferralFactory(created_by=referrer))
    two = _list_queries(referrer_client)
    for _ in range(9):
        SubmittedReferralFactory(created_by=referrer)
        DraftReferralFactory(created_by=referrer)
    assert Referral.objects.filter(created_by=referrer).count() == 20
    with django_assert_max_num_queries(two):
        referrer_client.get(reverse("referrals:list"))
    assert _list_queries(referrer_client) == two


def test_detail_query_count_is_constant(referrer_client, referrer, django_assert_max_num_queries):
    referral = SubmittedReferralFactory(created_by=referrer)
    url = reverse("referrals:detail", args=[referral.public_id])
    InformationRequestFactory(referral=referral)
    with CaptureQueriesContext(connection) as captured:
        referrer_client.get(url)
    for _ in range(5):
        InformationRequestFactory(referral=referral)
    with django_assert_max_num_queries(len(captured)):
        referrer_client.get(url)


def test_answer_a_question_from_the_referral_page(referrer_client, referrer):
    question = InformationRequestFactory(referral=SubmittedReferralFactory(created_by=referrer))
    detail = reverse("referrals:detail", args=[question.referral.public_id])
    html = referrer_client.get(detail).content.decode()
    assert question.question in html and "Send answer" in html
    url = reverse("referrals:answer", args=[question.referral.public_id, question.public_id])
    response = referrer_client.post(url, {"answer": ""})
    assert response.status_code == 200
    assert '<a href="#id_answer">Enter your answer</a>' in response.content.decode()
    response = referrer_client.post(url, {"answer": "She has left the college."})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answer == "She has left the college."
    assert "She has left the college." in referrer_client.get(detail).content.decode()


def test_another_referrer_cannot_answer(client, referrer):
    question = InformationRequestFactory(referral=SubmittedReferralFactory(created_by=referrer))
    client.force_login(ReferrerFactory())
    url = reverse("referrals:answer", args=[question.referral.public_id, question.public_id])
    assert client.post(url, {"answer": "x"}).status_code == 404
    question.refresh_from_db()
    assert question.answered_at is None


def test_the_whole_journey_through_the_pages(
    referrer_client, referrer, mailoutbox, django_capture_on_commit_callbacks
):
    client = referrer_client
    start = client.get(reverse("referrals:start")).content.decode()
    assert "If someone is in immediate danger, call 999" in start
    response = client.post(reverse("referrals:create"))
    referral = Referral.objects.get(created_by=referrer)
    assert response["Location"] == reverse("referrals:section", args=[referral.public_id, "person"])
    order = []
    for slug, data in valid_pages().items():
        response = client.post(reverse("referrals:section", args=[referral.public_id, slug]), data)
        assert response.status_code == 302, response.content.decode()[:500]
        order.append(response["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert order == [
        "address",
        "circumstances",
        "about-you",
        "concern",
        "risk-and-needs",
        "supporting-documents",
    ]
    check = client.get(reverse("referrals:check", args=[referral.public_id])).content.decode()
    assert "Jordan" in check and "Camden" in check
    change = reverse("referrals:section", args=[referral.public_id, "person"]) + "?return=check"
    assert f'href="{change}"' in check
    response = client.post(change, valid_pages()["person"])
    assert response["Location"] == reverse("referrals:check", args=[referral.public_id])

    declaration = reverse("referrals:declaration", args=[referral.public_id])
    token = _token_on(client.get(declaration))
    response = client.post(declaration, {"submission_token": token})
    assert "Confirm that the information you have given is correct" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(declaration, {"confirm": "on", "submission_token": token})
    assert response["Location"] == reverse("referrals:confirmation", args=[referral.public_id])
    referral.refresh_from_db()
    confirmation = client.get(response["Location"]).content.decode()
    assert "govuk-panel--confirmation" in confirmation and referral.reference in confirmation
    assert len(mailoutbox) == 1
    # Submitted referrals can no longer be edited: their pages lead to the referral.
    again = client.post(declaration, {"confirm": "on", "submission_token": token})
    assert again["Location"] == reverse("referrals:confirmation", args=[referral.public_id])
    edit = client.get(reverse("referrals:section", args=[referral.public_id, "person"]))
    assert edit["Location"] == reverse("referrals:detail", args=[referral.public_id])
    assert len(mailoutbox) == 1


def test_save_as_draft_and_carry_on_later(referrer_client, referrer):
    referrer_client.post(reverse("referrals:create"))
    referral = Referral.objects.get(created_by=referrer)
    url = reverse("referrals:section", args=[referral.public_id, "person"])
    response = referrer_client.post(url, {**valid_pages()["person"], "action": "save-draft"})
    assert response["Location"] == reverse("referrals:list")
    page = referrer_client.get(reverse("referrals:list")).content.decode()
    assert "Your draft has been saved" in page and "Draft</strong>" in page
    response = referrer_client.get(reverse("referrals:resume", args=[referral.public_id]))
    assert response["Location"] == reverse(
        "referrals:section", args=[referral.public_id, "address"]
    )


def test_incomplete_draft_cannot_reach_the_declaration(referrer_client, referrer):
    referrer_client.post(reverse("referrals:create"))
    referral = Referral.objects.get(created_by=referrer)
    check = referrer_client.get(reverse("referrals:check", args=[referral.public_id]))
    assert "You need to answer some more questions" in check.content.decode()
    declaration = reverse("referrals:declaration", args=[referral.public_id])
    assert referrer_client.get(declaration)["Location"] == reverse(
        "referrals:check", args=[referral.public_id]
    )
    token = submission_token(referrer, referral)
    response = referrer_client.post(declaration, {"confirm": "on", "submission_token": token})
    html = response.content.decode()
    assert "There is a problem" in html and "Answer the questions in ‘About the person’" in html
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DRAFT


def test_home_and_navigation_links_show_to_referrers_only(client, referrer):
    client.force_login(referrer)
    assert b"Make a referral" in client.get(reverse("home")).content
    client.force_login(UserFactory(role=Role.CTP_PREVENT_OFFICER))
    html = client.get(reverse("home")).content
    assert b"Make a referral" not in html and b"Your referrals" not in html


def _complete_draft(referrer):
    return DraftReferralFactory(created_by=referrer)


def test_a_retried_submission_lands_on_the_referral_already_made(
    referrer_client, referrer, regions_loaded, django_capture_on_commit_callbacks
):
    postcodes_load()
    referral = _complete_draft(referrer)
    declaration = reverse("referrals:declaration", args=[referral.public_id])
    token = _token_on(referrer_client.get(declaration))
    answers = {"confirm": "on", "submission_token": token}
    with django_capture_on_commit_callbacks(execute=True):
        first = referrer_client.post(declaration, answers)
    retried = referrer_client.post(declaration, answers)  # the browser sent it again
    confirmation = reverse("referrals:confirmation", args=[referral.public_id])
    assert first["Location"] == retried["Location"] == confirmation
    assert Referral.objects.filter(created_by=referrer).count() == 1
    referral.refresh_from_db()
    assert referral.status != ReferralStatus.DRAFT and referral.reference


@pytest.mark.parametrize(
    "token",
    ["", "forged", "someone-else's", "another-draft"],
    ids=["missing", "forged", "other-user", "other-draft"],
)
def test_a_submission_without_this_pages_token_is_refused(
    referrer_client, referrer, regions_loaded, token
):
    postcodes_load()
    referral = _complete_draft(referrer)
    tokens = {
        "": "",
        "forged": "not-a-token",
        "someone-else's": submission_token(ReferrerFactory(), referral),
        "another-draft": submission_token(referrer, _complete_draft(referrer)),
    }
    declaration = reverse("referrals:declaration", args=[referral.public_id])
    response = referrer_client.post(
        declaration, {"confirm": "on", "submission_token": tokens[token]}
    )
    html = response.content.decode()
    assert response.status_code == 200 and SUBMISSION_EXPIRED in html
    assert _token_on(response)  # a fresh one, to submit again
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DRAFT


@pytest.mark.django_db(transaction=True)
def test_a_double_click_makes_one_referral(client, regions_loaded):
    postcodes_load()
    referrer = ReferrerFactory()
    referral = _complete_draft(referrer)
    declaration = reverse("referrals:declaration", args=[referral.public_id])
    client.force_login(referrer)
    answers = {"confirm": "on", "submission_token": _token_on(client.get(declaration))}
    start = threading.Barrier(2)
    locations = []

    def click():
        browser = Client()
        browser.force_login(referrer)
        start.wait(timeout=10)
        locations.append(browser.post(declaration, answers)["Location"])

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    confirmation = reverse("referrals:confirmation", args=[referral.public_id])
    assert locations == [confirmation, confirmation]
    assert Referral.objects.filter(created_by=referrer).count() == 1
    assert Referral.objects.get(pk=referral.pk).reference
