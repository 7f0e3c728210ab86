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
