"""Pages whose query count must not grow with the data: at 10 cases and at 500, the same.

Most of the 500 cases are written in bulk (bench/casegen.py: the same rows submission and the
flow's first steps write); the case and task measured are real, driven through the services.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.casegen import bulk_cases
from tests.cases import la_branch, open_task, police_branch, sharing, submit_referral
from tests.compliance.factories import break_glass_granted, linked_investigation
from workflows.engine import services as engine
from workflows.referral import services


def queries(client, url: str) -> int:
    client.get(url)  # warm per-process caches (content types, flow nodes)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_pages_make_the_same_number_of_queries_at_10_and_at_500_cases(client, people):
    real = submit_referral(people.referrer)
    police_branch(real, people.police)
    services.task_acknowledge(task=open_task(real, "la_acknowledge"), user=people.la)
    engine.task_claim(task=open_task(real, "la_initial_discussion"), user=people.la)
    bulk_cases(9, referrer=people.referrer, assessor=people.police)
    task = open_task(real, "la_initial_discussion")
    pages = {
        "queue": (people.adviser, "/queue/"),
        "queue filtered": (people.adviser, "/queue/?risk_level=low&sort=-reference"),
        "queue last page": (people.adviser, "/queue/?page=999"),
        "your tasks": (people.la, "/tasks/"),
        "case page": (people.adviser, f"/cases/{real.public_id}/"),
        "task page": (people.la, f"/tasks/{task.pk}/"),
    }

    def measure():
        counts = {}
        for name, (user, url) in pages.items():
            client.force_login(user)
            counts[name] = queries(client, url)
        return counts

    at_10 = measure()
    bulk_cases(490, referrer=people.referrer, assessor=people.police)
    at_500 = measure()
    assert at_500 == at_10


def test_case_and_task_pages_do_not_grow_with_the_records_of_the_case(client, people):
    referral = submit_referral(people.referrer)
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=people.police)
    case_url = f"/cases/{referral.public_id}/"
    client.force_login(people.adviser)
    before = queries(client, case_url)
    police_branch_after_ack(referral, people)
    la_branch(referral, people.la)
    for n in range(20):
        services.deconfliction_record(
            referral=referral, user=people.police, outcome="no_conflict", trigger=f"Report {n}"
        )
        services.case_note_add(referral=referral, user=people.la, kind="note", text=f"Note {n}")
        services.home_visit_assessment_record(
            referral=referral,
            user=people.police,
            risks_identified="r",
            controls="c",
            visit_safe=True,
        )
    assert queries(client, case_url) == before
    task_url = f"/tasks/{open_task(referral, 'threshold_decision').pk}/"
    client.force_login(people.police)
    with_records = queries(client, task_url)
    services.case_note_add(referral=referral, user=people.police, kind="note", text="More")
    assert queries(client, task_url) == with_records


def police_branch_after_ack(referral, people):
    from .test_flow import ALL_CLEAR

    services.police_deconfliction_complete(
        task=open_task(referral, "police_deconfliction"), user=people.police, outcome="no_conflict"
    )
    services.police_gateway_checks_complete(
        task=open_task(referral, "police_gateway_checks"), user=people.police, checks=ALL_CLEAR
    )
    services.police_information_gathering_complete(
        task=open_task(referral, "police_information_gathering"),
        user=people.police,
        summary="Gathered.",
        **sharing("Nothing to share."),
    )


@pytest.mark.parametrize("who", ["police", "adviser", "la", "compliance"])
def test_the_case_page_does_not_grow_with_police_records_or_disclosures(client, people, who):
    """Each reader's page, with or without police records, reads a fixed number of times."""
    referral = submit_referral(people.referrer)
    police_branch(referral, people.police)
    la_branch(referral, people.la)
    if who == "compliance":
        linked_investigation(referral, people.compliance)
        break_glass_granted(people.compliance, referral, reason="Complaint")
    case_url = f"/cases/{referral.public_id}/"
    client.force_login(getattr(people, who))
    before = queries(client, case_url)
    for n in range(10):
        services.deconfliction_record(
            referral=referral, user=people.police, outcome="no_conflict", trigger=f"Report {n}"
        )
        services.case_note_add(referral=referral, user=people.police, kind="note", text=f"P {n}")
        services.case_note_add(referral=referral, user=people.la, kind="note", text=f"LA {n}")
        for audience in ("local_authority", "panel", "all_partners"):
            services.disclosure_record(
                referral=referral,
                user=people.police,
                **sharing(f"Shared {n}", audience=audience, basis="consent"),
            )
    assert queries(client, case_url) == before


@pytest.mark.parametrize("size", [10, 500])
def test_queue_query_count_is_fixed(client, people, django_assert_max_num_queries, size):
    """The same ceiling whatever the size: the adviser's queue is a handful of queries."""
    bulk_cases(size, referrer=people.referrer, assessor=people.police)
    client.force_login(people.adviser)
    client.get("/queue/")
    with django_assert_max_num_queries(15):
        assert client.get("/queue/").status_code == 200
