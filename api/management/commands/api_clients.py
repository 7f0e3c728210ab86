"""Give an organisation's system a token, rotate it, revoke it, and list what exists.

    manage.py api_clients create --organisation "Example Academy" --kind school \\
        --name "Safeguarding system" --scope referrals:submit --scope referrals:read-own
    manage.py api_clients list
    manage.py api_clients rotate <client id> [--overlap-days 7]
    manage.py api_clients revoke <client id>
    manage.py api_clients revoke-token <key id>

A token is printed once, when it is made; only its digest is kept. Every change is audited as
the operator's command (no signed-in user).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from config.errors import ApplicationError

from ...models import ApiClient, ApiToken, Organisation, Scope
from ...services import (
    api_client_create,
    api_client_revoke,
    api_token_revoke,
    api_token_rotate,
)


class Command(BaseCommand):
    help = "Manage API clients of organisations and their tokens."

    def add_arguments(self, parser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="a new client and its first token")
        create.add_argument("--organisation", required=True)
        create.add_argument("--kind", choices=Organisation.Kind.values, default="other")
        create.add_argument("--name", required=True)
        create.add_argument("--scope", action="append", choices=Scope.values, required=True)
        create.add_argument("--lifetime-days", type=int)
        commands.add_parser("list", help="every client, its scopes and its tokens")
        rotate = commands.add_parser("rotate", help="a new token; the old ones end after overlap")
        rotate.add_argument("client")
        rotate.add_argument("--overlap-days", type=int, default=7)
        revoke = commands.add_parser("revoke", help="end a client and all its tokens")
        revoke.add_argument("client")
        revoke_token = commands.add_parser("revoke-token", help="end one token")
        revoke_token.add_argument("key_id")

    def handle(self, *args, command: str, **options) -> None:
        try:
            getattr(self, f"_{command.replace('-', '_')}")(**options)
        except ApplicationError as exc:
            raise CommandError("; ".join(message for _field, message in exc.errors)) from exc

    def _client(self, public_id: str) -> ApiClient:
        client = ApiClient.objects.filter(public_id=public_id).first()
        if client is None:
            raise CommandError(f"No API client has the id {public_id}")
        return client

    def _show_token(self, client: ApiClient, raw: str) -> None:
        self.stdout.write(f"Client {client.public_id} ({client})")
        self.stdout.write("Token (shown only now; store it in the system's secret store):")
        self.stdout.write(raw)

    def _create(self, *, organisation, kind, name, scope, lifetime_days, **_) -> None:
        org, _made = Organisation.objects.get_or_create(name=organisation, defaults={"kind": kind})
        client, raw = api_client_create(
            organisation=org, name=name, scopes=scope, lifetime_days=lifetime_days
        )
        self._show_token(client, raw)

    def _list(self, **_) -> None:
        clients = ApiClient.objects.select_related("organisation").prefetch_related("tokens")
        for client in clients:
            state = "revoked" if client.revoked_at else "active"
            self.stdout.write(
                f"{client.public_id}  {client}  [{state}]  scopes: {', '.join(client.scopes)}"
            )
            for token in client.tokens.all():
                usable = "usable" if token.is_usable() else "ended"
                self.stdout.write(
                    f"    {token}  expires {token.expires_at:%Y-%m-%d %H:%M}  {usable}"
                    f"  last used {token.last_used_at or 'never'}"
                )

    def _rotate(self, *, client, overlap_days, **_) -> None:
        found = self._client(client)
        raw = api_token_rotate(client=found, overlap=timedelta(days=overlap_days))
        self._show_token(found, raw)

    def _revoke(self, *, client, **_) -> None:
        found = self._client(client)
        api_client_revoke(client=found)
        self.stdout.write(f"Revoked {found} and all its tokens")

    def _revoke_token(self, *, key_id, **_) -> None:
        token = ApiToken.objects.select_related("client").filter(key_id=key_id).first()
        if token is None:
            raise CommandError(f"No token has the key id {key_id}")
        api_token_revoke(token=token)
        self.stdout.write(f"Revoked {token}")
