from django.contrib.auth.models import Group
from django.db import models


class CTRegion(models.Model):
    """One of the nine Counter Terrorism Policing regions of England and Wales."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CT policing region"

    def __str__(self) -> str:
        return self.name


class PoliceForceArea(models.Model):
    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=100)
    region = models.ForeignKey(CTRegion, on_delete=models.PROTECT, related_name="forces")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LocalAuthority(models.Model):
    """A local authority district. Abolished districts stay as aliases of their successor."""

    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=100)
    police_force_area = models.ForeignKey(
        PoliceForceArea, on_delete=models.PROTECT, related_name="local_authorities"
    )
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )
    abolished_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.successor_id is None


class Postcode(models.Model):
    """A postcode of the ONS Postcode Directory and the local authority district it lies in.

    Postcodes outside England and Wales are kept, without an authority, so that those in
    postcode areas shared with England (CA6 is partly in Scotland, TD15 in England) are refused
    or routed by where they are rather than by their area's letters.
    """

    class Country(models.TextChoices):
        # The first letter of ONS area codes.
        ENGLAND = "E", "England"
        WALES = "W", "Wales"
        SCOTLAND = "S", "Scotland"
        NORTHERN_IRELAND = "N", "Northern Ireland"
        CHANNEL_ISLANDS = "L", "Channel Islands"
        ISLE_OF_MAN = "M", "Isle of Man"

    postcode = models.CharField(
        max_length=8, primary_key=True, help_text="Normalised, e.g. 'SW1A 2AA'"
    )
    country = models.CharField(max_length=1, choices=Country.choices)
    local_authority = models.ForeignKey(
        LocalAuthority, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country__in=["E", "W"], local_authority__isnull=False)
                | (~models.Q(country__in=["E", "W"]) & models.Q(local_authority__isnull=True)),
                name="postcode_authority_only_in_england_and_wales",
            )
        ]

    def __str__(self) -> str:
        return self.postcode


class Team(models.Model):
    """A team that works cases: membership is mirrored in `group` so guardian can grant to it."""

    class Kind(models.TextChoices):
        REGIONAL_ADVISERS = "regional_advisers", "Regional Prevent advisers"
        CTP_PREVENT = "ctp_prevent", "CT policing Prevent officers"
        LA_PREVENT = "la_prevent", "Local authority Prevent team"
        CHANNEL_PANEL = "channel_panel", "Channel panel"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    region = models.ForeignKey(CTRegion, on_delete=models.PROTECT, related_name="teams")
    local_authority = models.ForeignKey(
        LocalAuthority, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    email = models.EmailField(blank=True, help_text="Shared inbox for notifications")
    members = models.ManyToManyField(
        "accounts.User", through="TeamMembership", related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "region"],
                condition=models.Q(local_authority__isnull=True),
                name="one_regional_team_of_each_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "local_authority"],
                condition=models.Q(local_authority__isnull=False),
                name="one_la_team_of_each_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"
