"""The roles of the service (DESIGN.md §2). Each is a Django group of the same name."""

from django.db import models


class Role(models.TextChoices):
    REFERRER = "referrer", "Referrer"
    LA_PREVENT_LEAD = "la_prevent_lead", "LA Prevent lead"
    CTP_PREVENT_OFFICER = "ctp_prevent_officer", "CTP Prevent officer"
    REGIONAL_ADVISER = "regional_prevent_adviser", "Regional Prevent adviser"
    CHANNEL_PANEL_MEMBER = "channel_panel_member", "Channel panel member"
    INTERVENTION_PROVIDER = "intervention_provider", "Intervention provider"
    COMPLIANCE = "standards_compliance", "Standards and Compliance Unit"
    NATIONAL = "national_prevent_centre", "National Prevent centre"
    ADMINISTRATOR = "administrator", "Administrator"


# The head of the Standards and Compliance Unit is not a role of its own: an officer of the unit
# (Role.COMPLIANCE) who is also in this group. The group (made by migration
# compliance/0006_unit_head_group) holds the permission `compliance.review_break_glass`, which
# opens the report of every break-glass request and case link the unit's officers asked for,
# approved or refused. Approving is any second officer's; reviewing the whole is the head's.
UNIT_HEAD_GROUP = "standards_compliance_head"
UNIT_HEAD_PERMISSION = "compliance.review_break_glass"
