"""Who may see and record the support an intervention provider gives."""

import rules

from accounts.grants import object_granted

from ..engine.permissions import may_view_case

VIEW_INTERVENTION = "workflows.view_intervention"


@rules.predicate
def may_record_session(user, intervention) -> bool:
    """The commissioned provider (through their object grant) or the intervention's owner
    while the case is still theirs to see, and only while the intervention is live."""
    if intervention.ended_on is not None:
        return False
    if object_granted(user, VIEW_INTERVENTION, intervention):
        return True
    return intervention.owner_id == user.pk and may_view_case(user, intervention.plan.referral)


rules.add_rule("may_record_session", may_record_session)
