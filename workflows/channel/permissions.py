"""Who may see and record the support an intervention provider gives."""

import rules

VIEW_INTERVENTION = "workflows.view_intervention"


@rules.predicate
def may_record_session(user, intervention) -> bool:
    """The commissioned provider (through their object grant) or the intervention's owner,
    while the intervention is live."""
    return intervention.ended_on is None and (
        user.has_perm(VIEW_INTERVENTION, intervention) or intervention.owner_id == user.pk
    )


rules.add_rule("may_record_session", may_record_session)
