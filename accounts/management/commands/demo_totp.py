from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import demo_code
from accounts.models import User
from accounts.selectors import totp_device_confirmed


class Command(BaseCommand):
    help = (
        "Print the current authenticator code of a demo user, to sign in without an app. "
        "Not for production."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The user's email address")

    def handle(self, *args, email: str, **options):
        if getattr(settings, "ENVIRONMENT", "") == "production":
            raise CommandError("Demo codes are refused under production settings.")
        user = User.objects.filter(email__iexact=email.strip()).first()
        device = totp_device_confirmed(user) if user else None
        if device is None:
            raise CommandError(f"{email} has no authenticator app set up.")
        self.stdout.write(demo_code(device))
