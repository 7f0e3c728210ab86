"""A local stand-in for GOV.UK Notify's API: a real HTTP server on this machine.

It answers as Notify's API does: it checks the JSON Web Token that GOV.UK Notify's Python
client signs with the API key, and the JSON body it sends, before accepting an email. It keeps
every email it accepted (`accepted`, with its reference), answers the look-up by reference
(`GET /v2/notifications?reference=...`), and can be made slow (`delay`) so that a worker can
be stopped while a send is in flight. The backend tests and the outbox's fault tests share it.
"""

import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"prevent_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
EMAIL_PATH = "/v2/notifications/email"
LIST_PATH = "/v2/notifications"
EMAIL_FIELDS = {"email_address", "template_id", "personalisation", "reference"}


def _token_problem(authorization: str | None) -> str | None:
    """Why Notify would refuse this Authorization header, or None if it would accept it."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme != "Bearer" or not token:
        return "Unauthorized: authentication token must be provided"
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]}
        )
    except jwt.InvalidTokenError as exc:
        return f"Invalid token: {exc}"
    if header != {"typ": "JWT", "alg": "HS256"}:
        return f"Invalid token: header {header}"
    if claims["iss"] != SERVICE_ID:
        return "Invalid token: service not found"
    if abs(claims["iat"] - time.time()) > 30:
        return "Error: Your system clock must be accurate to within 30 seconds"
    return None


def _body_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if unknown := set(body) - EMAIL_FIELDS:
        return f"Additional properties are not allowed ({sorted(unknown)})"
    if not isinstance(body.get("email_address"), str) or "@" not in body["email_address"]:
        return "email_address is a required property"
    if body.get("template_id") != TEMPLATE_ID:
        return "template_id: Template not found"
    personalisation = body.get("personalisation")
    if not isinstance(personalisation, dict) or set(personalisation) != {"subject", "body"}:
        return "Missing personalisation: subject, body"
    if not all(isinstance(value, str) for value in personalisation.values()):
        return "personalisation values must be strings"
    return None


class FakeNotify(BaseHTTPRequestHandler):
    """Checks and records each request; a status set on the server overrides the answer."""

    def do_GET(self):  # noqa: N802 - the http.server spelling
        url = urllib.parse.urlsplit(self.path)
        if url.path != LIST_PATH:
            return self._answer(404, "ResourceNotFound", "Not found")
        if problem := _token_problem(self.headers.get("Authorization")):
            return self._answer(403, "AuthError", problem)
        reference = urllib.parse.parse_qs(url.query).get("reference", [None])[0]
        with self.server.lock:
            found = [n for n in self.server.accepted if n["reference"] == reference]
        return self._json(200, {"notifications": found, "links": {"current": self.path}})

    def do_POST(self):  # noqa: N802 - the http.server spelling
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.server.requests.append(
            {
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "json": body,
            }
        )
        if self.path != EMAIL_PATH:
            return self._answer(404, "ResourceNotFound", "Not found")
        if problem := _token_problem(self.headers.get("Authorization")):
            return self._answer(403, "AuthError", problem)
        if self.headers.get("Content-Type") != "application/json":
            return self._answer(400, "BadRequestError", "Content-Type must be application/json")
        if problem := _body_problem(body):
            return self._answer(400, "ValidationError", problem)
        if self.server.statuses:
            return self._answer(
                self.server.statuses.pop(0), "BadRequestError", "Can't send to this recipient"
            )
        notification = {
            "id": str(uuid.uuid4()),
            "reference": body.get("reference"),
            "email_address": body["email_address"],
            "status": "created",
            "subject": body["personalisation"]["subject"],
        }
        with self.server.lock:
            self.server.accepted.append(notification)  # Notify has it, whatever happens next
        if self.server.delay:
            time.sleep(self.server.delay)
        return self._json(
            201,
            {
                "id": notification["id"],
                "reference": notification["reference"],
                "content": {},
                "uri": "",
                "template": {"id": TEMPLATE_ID},
            },
        )

    def _answer(self, status: int, error: str, message: str):
        return self._json(
            status, {"status_code": status, "errors": [{"error": error, "message": message}]}
        )

    def _json(self, status: int, answer: dict):
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class FakeNotifyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeNotify)
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answers to give instead of accepting, in order
        self.accepted: list[dict] = []
        self.delay = 0.0  # seconds to wait after accepting, before answering
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server_address
        return f"http://{host}:{port}"

    def per_reference(self) -> Counter:
        """How many emails Notify accepted with each reference."""
        with self.lock:
            return Counter(n["reference"] for n in self.accepted)

    def handle_error(self, request, client_address) -> None:
        """A client that gave up waiting (a timeout test) is not an error of the fake's."""

    def start(self) -> "FakeNotifyServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
