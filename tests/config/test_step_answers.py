"""Every step, completed through the API, refuses a bad text answer given beside good ones with
a 400 and the field's message, never a server error.

A case is carried through the referral flow and into Channel by the API itself: at each open
task, the step's own form is read to give every answer a plausible value, then each text answer
in turn is made too long, or marked SECRET, with the others left plausible (the case that once
reached the rules as nothing), and finally the plausible answers complete the task.
"""

import pytest
from django import forms
from django.utils import timezone

from config.classification import MARKED_TEXT_MESSAGE
from config.forms import GovukDateField
from config.task_ids import task_api_id
from tests.cases import make_chair
from tests.clients import APIClient
from tests.compliance.factories import InvestigatingComplaintFactory
from workflows.engine.models import CaseTask
from workflows.engine.registry import step_for

# Where a step offers these, the walk takes them, so it goes on into Channel.
PREFERRED = {
    "outcome": "channel",
    "terrorism_risk": "yes",
    "ideological_element": "yes",
    "adopt": "yes",
    "person_given": "yes",
    "in_scope": "yes",
}


def _plausible(form: forms.Form) -> dict:
    answers = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.BooleanField):
            answers[name] = True
        elif isinstance(field, GovukDateField):
            answers[name] = timezone.localdate().isoformat()
        elif isinstance(field, forms.ChoiceField):
            values = [str(getattr(v, "value", v)) for v, _ in field.choices if v not in ("", None)]
            if values:
                answers[name] = PREFERRED.get(name) if PREFERRED.get(name) in values else values[0]
        elif isinstance(field, forms.CharField):
            answers[name] = "A plain answer"
    return answers


def _worker(step, task, people):
    for user in people:
        if step.may_work(user, task):
            return user
    return None


def _try_every_text_answer(client, task, form, answers) -> None:
    url = f"/api/v1/tasks/{task_api_id(task.pk)}/complete/"
    for name, field in form.fields.items():
        if type(field) is not forms.CharField or name not in answers:
            continue
        for bad, message in (
            ("x" * (field.max_length + 1), f"{field.max_length:,} characters or fewer"),
            ("Ｔｏｐ Ｓｅｃｒｅｔ", MARKED_TEXT_MESSAGE),
        ):
            response = client.post(url, {**answers, name: bad}, format="json")
            assert response.status_code == 400, (task.flow_task.name, name, response.content)
            assert any(message in m for m in response.json()["errors"][name]), (
                name,
                response.json(),
            )


def _walk(open_tasks, people, *, limit: int = 40) -> set[str]:
    """Work open tasks through the API until none can be completed; the steps tried."""
    tried: set[str] = set()
    for _ in range(limit):
        progressed = False
        for task in open_tasks():
            stage = task.flow_task.name
            step = step_for(task)
            user = _worker(step, task, people)
            if step is None or user is None or stage in tried:
                continue
            client = APIClient()
            client.force_authenticate(user)
            form = step.form(task, None, user)
            answers = _plausible(form)
            _try_every_text_answer(client, task, form, answers)
            tried.add(stage)
            response = client.post(
                f"/api/v1/tasks/{task_api_id(task.pk)}/complete/", answers, format="json"
            )
            progressed |= response.status_code == 204
        if not progressed:
            break
    return tried


@pytest.mark.django_db
def test_every_step_refuses_a_bad_text_answer_beside_good_ones(people, referral):
    chair = make_chair(people)
    workers = [people.police, people.la, people.adviser, chair, people.panel]

    def open_tasks():
        return [
            ct.task
            for ct in CaseTask.objects.filter(referral=referral, is_open=True).select_related(
                "task"
            )
        ]

    tried = _walk(open_tasks, workers)
    assert {
        "police_acknowledge",
        "police_deconfliction",
        "police_gateway_checks",
        "police_information_gathering",
        "la_initial_discussion",
        "la_safeguarding_checks",
        "threshold_decision",
        "risk_assessment",
        "outcome_decision",
        "adoption_decision",
        "consent",
        "support_plan",
    } <= tried, sorted(tried)


@pytest.mark.django_db
def test_every_complaint_step_refuses_a_bad_text_answer_beside_good_ones(people):
    complaint = InvestigatingComplaintFactory(investigator=people.compliance)

    def open_tasks():
        return list(complaint.process.task_set.filter(status__in=("NEW", "ASSIGNED", "STARTED")))

    tried = _walk(open_tasks, [people.compliance])
    assert {"investigation", "finding", "response_letter"} <= tried, sorted(tried)


def test_plausible_answers_are_read_from_the_form():
    class Example(forms.Form):
        when = GovukDateField(noun="Date")
        what = forms.CharField(max_length=5)
        which = forms.ChoiceField(choices=[("", "Select"), ("a", "A")])

    assert _plausible(Example()) == {
        "when": timezone.localdate().isoformat(),
        "what": "A plain answer",
        "which": "a",
    }
