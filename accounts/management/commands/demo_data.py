import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from accounts import demo

# Apps that add demo records of their own expose `<app>.demo.build_cases(users)`.
CASE_BUILDERS = [
    "referrals.demo",
    "workflows.referral.demo",
    "workflows.channel.demo",
    "workflows.complaint.demo",
]


class Command(BaseCommand):
    help = "Create demo users for every role in two regions, and demo cases. Not for production."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Use this password for every demo user")

    def handle(self, *args, password=None, **options):
        if getattr(settings, "ENVIRONMENT", "") == "production":
            raise CommandError("Demo data is refused under production settings.")
        # Demo cases trigger the emails real ones would; nobody should receive them.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            users = self._build(password)
        self.stdout.write(self.style.SUCCESS("Demo users (all share one password):"))
        for user in users.by_key.values():
            roles = ", ".join(user.groups.filter(team__isnull=True).values_list("name", flat=True))
            secret = users.secrets.get(user.email, "(no second factor: optional for referrers)")
            self.stdout.write(f"  {user.email:<40} {roles:<26} {secret}")
        self.stdout.write(self.style.WARNING(f"Password: {users.password}"))
        self.stdout.write(
            "Staff sign in with the password, then a code from an authenticator app set up with\n"
            "the secret shown beside them. Without an app, print the current code with\n"
            "  python manage.py demo_totp EMAIL\n"
            "or: oathtool --totp -b SECRET"
        )

    def _build(self, password):
        users = demo.build(password=password)
        for module_name in CASE_BUILDERS:
            module = importlib.import_module(module_name)
            summary = module.build_cases(users)
            if summary:
                self.stdout.write(summary)
        # The case builders may add users of their own (the unit's second officer).
        demo.second_factors_give(users)
        return users
