"""Who may work a complaint: officers of the Standards and Compliance Unit, and within it the
complaint's investigating and reviewing officers."""

import rules

from compliance.selectors import is_compliance_officer

from .selectors import complaint_of_task


@rules.predicate
def is_unit_officer(user) -> bool:
    return is_compliance_officer(user)


@rules.predicate
def is_investigating_officer(user, complaint) -> bool:
    return is_compliance_officer(user) and complaint.investigator_id == user.pk


@rules.predicate
def is_reviewing_officer(user, complaint) -> bool:
    review = getattr(complaint, "review", None)
    return is_compliance_officer(user) and review is not None and review.reviewer_id == user.pk


def _of_task(predicate):
    def check(user, task) -> bool:
        return predicate(user, complaint_of_task(task))

    check.__name__ = f"{predicate.name}_of_task"
    return rules.predicate(check)


may_triage = rules.predicate(lambda user, task: is_compliance_officer(user), name="may_triage")
is_task_investigator = _of_task(is_investigating_officer)
is_task_reviewer = _of_task(is_reviewing_officer)

rules.add_rule("is_unit_officer", is_unit_officer)
rules.add_rule("is_investigating_officer", is_investigating_officer)
rules.add_rule("is_reviewing_officer", is_reviewing_officer)
