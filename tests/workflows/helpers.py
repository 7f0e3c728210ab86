import html
import re

from viewflow.workflow.models import Task

from workflows.models import CaseTask


def open_tasks(referral) -> dict[str, Task]:
    return {
        ct.stage: ct.task
        for ct in CaseTask.objects.filter(referral=referral, is_open=True).select_related("task")
    }


def open_task(referral, stage: str) -> Task:
    tasks = open_tasks(referral)
    assert stage in tasks, f"no open {stage} task; open: {sorted(tasks)}"
    return Task.objects.get(pk=tasks[stage].pk)


def error_summary(response) -> dict[str, list[str]]:
    """The messages a page's GOV.UK error summary lists, by the field each links to (a date's
    day box counts as its field), errors about the whole form under `non_field_errors`."""
    page = response.content.decode()
    assert 'class="govuk-error-summary"' in page, "the page shows no error summary"
    body = page.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    errors: dict[str, list[str]] = {}
    for item in re.findall(r"<li>(.*?)</li>", body, re.DOTALL):
        link = re.fullmatch(r'<a href="#id_(\w+?)(?:-day)?">(.*)</a>', item.strip(), re.DOTALL)
        field, message = link.groups() if link else ("non_field_errors", item.strip())
        errors.setdefault(field, []).append(html.unescape(message))
    return errors
