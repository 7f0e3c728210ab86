"""The service's side of the database fault test, run as its own process against the test's
own PostgreSQL (tests/integration/test_database_faults.py).

    python tests/integration/database_load.py prepare N   # N drafts ready to submit
    python tests/integration/database_load.py submit      # submit them all, one line each
    python tests/integration/database_load.py check       # what the database holds now

`submit` goes through the journey's pages (GET the declaration for its one-time token, POST
it), as a referrer would, with no pause between submissions, and prints one JSON line per
draft: the answers' status codes and how long each took. A submission whose page failed is
tried again (a new GET, a new POST) until it answers, as a referrer who saw the error page
would do, up to a limit. `check` seals what is left to seal and prints, as JSON, every draft's
state and the audit chain's verification.
"""

import json
import os
import re
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.roles import Role  # noqa: E402
from compliance.audit import audit_seal, audit_verify  # noqa: E402
from compliance.models import AuditEvent  # noqa: E402
from referrals.models import Referral, ReferralStatus  # noqa: E402
from regions.models import Team  # noqa: E402
from regions.services import regions_load  # noqa: E402
from tests.factories import (  # noqa: E402
    DraftReferralFactory,
    ReferrerFactory,
    postcodes_load,
)
from workflows.engine.models import CaseTask  # noqa: E402
from workflows.referral.models import ReferralProcess  # noqa: E402

REFERRER = "dsl@fault-school.example"
ATTEMPTS = 40


def prepare(count: int) -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    if not Team.objects.exists():
        regions_load()
    postcodes_load()
    referrer = ReferrerFactory(email=REFERRER, full_name="Fay Fault")
    for _ in range(count):
        DraftReferralFactory(created_by=referrer)


def _token(page) -> str | None:
    found = re.search(r'name="submission_token" value="([^"]+)"', page.content.decode())
    return found.group(1) if found else None


def submit() -> None:
    setup_test_environment()  # the test client's host, and email kept in memory
    browser = Client(raise_request_exception=False)
    browser.force_login(User.objects.get(email=REFERRER))
    drafts = list(
        Referral.objects.filter(created_by__email=REFERRER, status=ReferralStatus.DRAFT)
        .order_by("pk")
        .values_list("pk", "public_id")
    )
    for pk, public_id in drafts:
        url = reverse("referrals:declaration", args=[public_id])
        answers = []
        for _ in range(ATTEMPTS):
            # What the server does at each request's start and end (the test client leaves
            # it out): a connection broken by the outage is closed, and the next one is new.
            close_old_connections()
            started = time.monotonic()
            try:
                page = browser.get(url)
            except Exception as exc:  # noqa: BLE001 - reported, never hidden
                answers.append({"get": type(exc).__name__, "seconds": time.monotonic() - started})
                time.sleep(0.25)
                continue
            token = _token(page) if page.status_code == 200 else None
            if token is None:
                answers.append({"get": page.status_code, "seconds": time.monotonic() - started})
                if page.status_code == 302:  # already submitted: the confirmation
                    break
                time.sleep(0.25)
                continue
            close_old_connections()
            started = time.monotonic()
            response = browser.post(url, {"confirm": "on", "submission_token": token})
            answers.append({"post": response.status_code, "seconds": time.monotonic() - started})
            if response.status_code == 302:
                break
            time.sleep(0.25)
        print(json.dumps({"draft": pk, "answers": answers}), flush=True)


def check() -> None:
    while audit_seal():
        pass
    result = audit_verify()
    cases = []
    for referral in Referral.objects.filter(created_by__email=REFERRER).order_by("pk"):
        cases.append(
            {
                "draft": referral.pk,
                "status": referral.status,
                "reference": referral.reference,
                "processes": ReferralProcess.objects.filter(referral=referral).count(),
                "open_tasks": sorted(
                    CaseTask.objects.filter(referral=referral, is_open=True).values_list(
                        "stage", flat=True
                    )
                ),
                "submitted_events": AuditEvent.objects.filter(
                    action="referral.submitted", case_reference=referral.reference or "-"
                ).count(),
            }
        )
    print(
        json.dumps(
            {
                "chain_ok": result.ok,
                "checked": result.checked,
                "problem": result.problem,
                "unsealed": AuditEvent.objects.filter(sequence__isnull=True).count(),
                "cases": cases,
            }
        )
    )


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "prepare":
        prepare(int(sys.argv[2]))
    elif command == "submit":
        submit()
    elif command == "check":
        check()
    else:
        raise SystemExit(f"unknown command {command!r}")
