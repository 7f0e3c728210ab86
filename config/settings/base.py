"""Settings shared by every environment; everything that differs comes from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Local state (SQLite file, private uploads) lives under var/, outside the code and web root.
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

ENVIRONMENT = env("ENVIRONMENT", default="development")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "rules",
    "viewflow",
    "viewflow.workflow",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_beat",
    "govuk_frontend_django",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "accounts",
    "regions",
    "compliance",
    "referrals",
    "workflows",
    "api",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "config.middleware.RefuseControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second-factor device, if any, verified this session (request.user.otp_device).
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute session limits; then nothing but the sign-in pages until the second
    # factor is done (accounts/middleware.py).
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: a refused request for a case object is recorded against its user.
    "compliance.middleware.RefusedAccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a lockout found during sign-in into the GOV.UK "account locked" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "accounts.context_processors.page_audience",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take SQLite's write lock at BEGIN, so concurrent writers queue
    # instead of reading the same audit-chain head (PostgreSQL uses an advisory lock instead).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 30}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No anonymous user row: nothing is ever granted to someone who has not signed in.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
# A write to a case before its process row is locked (workflows/engine/locking.py): "raise"
# in development and tests, where it is a bug to fix; production logs it and carries on.
WORKFLOW_LOCK_ORDER = "raise"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Argon2id first: new and changed passwords use it; older PBKDF2 hashes are upgraded the next
# time their owner signs in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Django's checks with messages in plain English, and the service's own (accounts/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.GuessablePasswordValidator"},
]

# Sessions: signed out after SESSION_IDLE_TIMEOUT minutes without a request, and after
# SESSION_COOKIE_AGE seconds whatever happens (accounts.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30)
SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE_HOURS", default=8) * 60 * 60

# Second factor (django-otp): an authenticator app (TOTP) with backup codes. Required of every
# role that sees cases or people; optional for referrers (accounts.selectors).
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Prevent referrals")
BACKUP_CODE_COUNT = 10

# Lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords or codes in a row lock the email
# address, whether or not an account has it, until an administrator unlocks it (the admin's
# "Access attempts", or `manage.py axes_reset_username EMAIL`) or its owner resets the
# password. SIGN_IN_LOCKOUT_HOURS > 0 unlocks by itself after that long instead.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for locking by network address too. Not here: staff of one force or council
# reach the service through one proxy address, and five typing mistakes among them would lock
# them all out. Counting by email address is not weakened by rotating either: its failures are
# summed over every network address and browser they came from.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_of"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Failures are forgotten when a sign-in is complete, second factor included (accounts.lockout).
AXES_RESET_ON_SUCCESS = False
_LOCKOUT_HOURS = env.int("SIGN_IN_LOCKOUT_HOURS", default=0)
AXES_COOLOFF_TIME = _LOCKOUT_HOURS or None
# Successful sign-ins are in the audit trail; axes keeps only the failures it counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# The address recorded against a failure: the same reading of X-Forwarded-For as the complaint
# limit's (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "compliance.throttle.client_address"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "otp_token"]
# Whom a locked-out person, or one who has lost their authenticator, should contact.
ACCOUNT_SUPPORT_EMAIL = env("ACCOUNT_SUPPORT_EMAIL", default="prevent-support@example.gov.uk")

# Password reset links work once, for an hour.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_MINUTES", default=60) * 60
PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_HOUR_PER_ADDRESS", default=10)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# GOV.UK Frontend and GOV.UK's accessible autocomplete come from their npm packages (installed
# by `make`), each served under its own prefix (the autocomplete's built files only).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("govuk-frontend", BASE_DIR / "node_modules" / "govuk-frontend"),
    (
        "accessible-autocomplete",
        BASE_DIR / "node_modules" / "accessible-autocomplete" / "dist",
    ),
]

# Uploaded attachments live outside the web root and are only served by a permission-checked view.
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="prevent-referrals@example.gov.uk")
# GOV.UK Notify, used when EMAIL_BACKEND = "notifications.backends.NotifyEmailBackend".
NOTIFY_API_KEY = env("NOTIFY_API_KEY", default="")
NOTIFY_TEMPLATE_ID = env("NOTIFY_TEMPLATE_ID", default="")
NOTIFY_BASE_URL = env("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
# The audit chain's HMAC key (compliance/audit.py). Events record the id of the key that
# sealed them; after a rotation the old keys stay here, by id, to verify older events.
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="")
AUDIT_CHAIN_KEY_ID = env("AUDIT_CHAIN_KEY_ID", default="1")
AUDIT_CHAIN_RETIRED_KEYS = env.dict("AUDIT_CHAIN_RETIRED_KEYS", default={})
# An event left unsealed for longer than this is reported by verification.
AUDIT_SEAL_GRACE_SECONDS = env.int("AUDIT_SEAL_GRACE_SECONDS", default=300)
# Checkpoints are also appended here, outside the database (empty: not exported).
AUDIT_CHECKPOINT_FILE = env(
    "AUDIT_CHECKPOINT_FILE", default=str(VAR_DIR / "audit" / "checkpoints.jsonl")
)

# The outbox (notifications/services.py). A claimed send older than this belongs to a worker
# that died; it is longer than a task may run (CELERY_TASK_TIME_LIMIT).
NOTIFICATION_SENDING_TIMEOUT = env.int("NOTIFICATION_SENDING_TIMEOUT", default=600)
# A failing notification is retried with exponential back-off and jitter (from the base, up to
# the maximum between tries) for this many hours before it is marked failed.
NOTIFICATION_RETRY_HOURS = env.int("NOTIFICATION_RETRY_HOURS", default=24)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=60)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
# Alert the administrators when the oldest email due to be sent has waited longer than this.
OUTBOX_ALERT_AFTER_SECONDS = env.int("OUTBOX_ALERT_AFTER_SECONDS", default=900)

# API clients' webhooks (api/webhook_services.py). Each endpoint's signing secret is derived
# from this key and the endpoint's own salt: changing the key changes every endpoint's secret.
WEBHOOK_SECRET_KEY = env("WEBHOOK_SECRET_KEY", default="")
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# A delivery is retried with back-off for this long after its first try, then marked failed.
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
# A claim older than this belongs to a worker that died: the delivery is tried again.
WEBHOOK_SENDING_TIMEOUT = env.int("WEBHOOK_SENDING_TIMEOUT", default=600)
# Only the test settings turn this on: http://127.0.0.1 endpoints, for a local test server.
WEBHOOK_ALLOW_LOCAL_HTTP = False
# Who receives the service's alerts: ADMINS=ops@example.gov.uk,oncall@example.gov.uk
ADMINS = [(address, address) for address in env.list("ADMINS", default=[])]
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Celery: no broker configured means tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# Every task is fire-and-forget (it takes ids and writes its outcome to the database), so no
# result is stored and there is no result backend: a Redis result backend made each publish
# wait ~20 s on its reconnects while the broker was down.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = True
# A request never waits on the broker: a publish gives up well within a second (one quick
# retry, for a pooled connection the broker dropped) and the outbox's resend job is the safety
# net. The worker's own connection keeps retrying (broker_connection_retry) as before.
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
# After a publish fails, this process stops trying for this long (config.publish): one
# request pays for the failed attempt, not every task it would have published.
PUBLISH_PAUSE_SECONDS = env.int("PUBLISH_PAUSE_SECONDS", default=10)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged task (acks_late) goes back on the queue after this long.
    "visibility_timeout": 3600,
    "socket_connect_timeout": 0.5,
    # A reply stalled on a half-open connection costs a request at most this long (the
    # worker's own waits for work use brpop_timeout, not this).
    "socket_timeout": 1,
}
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker keeps trying to reach a broker that is down, however long it is down.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "seal-audit-events": {
        "task": "compliance.tasks.audit_seal_pending",
        "schedule": 5.0,
    },
    "verify-audit-chain": {
        "task": "compliance.tasks.audit_verify_checkpoint",
        "schedule": crontab(minute="*/5"),
    },
    "fire-workflow-timers": {
        "task": "workflows.tasks.workflow_fire_timers",
        "schedule": crontab(minute="*/15"),
    },
    "mark-overdue-tasks": {
        "task": "workflows.tasks.tasks_mark_overdue",
        "schedule": crontab(minute=5, hour="7-19"),
    },
    "resend-pending-notifications": {
        "task": "notifications.tasks.notifications_resend_pending",
        "schedule": 120.0,
    },
    "resend-pending-webhooks": {
        "task": "api.tasks.webhooks_resend_pending",
        "schedule": 60.0,
    },
    "alert-on-notifications": {
        "task": "notifications.tasks.notifications_alert",
        "schedule": crontab(minute="*/15"),
    },
    "mark-overdue-complaints": {
        "task": "compliance.tasks.complaints_mark_overdue",
        "schedule": crontab(minute=10, hour="7-19"),
    },
    "revoke-expired-break-glass": {
        "task": "compliance.tasks.break_glass_revoke_expired",
        "schedule": crontab(minute="*/5"),
    },
    "expire-unused-uploads": {
        "task": "referrals.tasks.uploads_expire_unused",
        "schedule": crontab(minute=20),
    },
}
# Supporting documents sent through the API before their referral: deleted if unused after this.
UPLOAD_RETENTION_HOURS = env.int("UPLOAD_RETENTION_HOURS", default=24)

# The cache holds the complaint forms' rate-limit counters (django-ratelimit, compliance/
# throttle.py). A Redis CACHE_URL shares them between every web process; the default is per
# process, which is enough for one machine. django_ratelimit is deliberately not an installed
# app: only its functions are used, and its system checks would reject the per-process default
# (E003) and warn about Django's own Redis backend (W001), which increments atomically.
CACHE_URL = env("CACHE_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Where the accessibility statement and the privacy notice send people with a problem.
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@prevent.example.gov.uk")

# Standards and Compliance Unit.
COMPLAINTS_UNIT_EMAIL = env("COMPLAINTS_UNIT_EMAIL", default="complaints@prevent.example.gov.uk")
COMPLAINTS_PER_HOUR_PER_ADDRESS = env.int("COMPLAINTS_PER_HOUR_PER_ADDRESS", default=10)
# How many reverse proxies in front of the service append to X-Forwarded-For; 0 trusts none.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=60)
# A break-glass request that no second officer has decided within this many hours lapses.
BREAK_GLASS_REQUEST_HOURS = env.int("BREAK_GLASS_REQUEST_HOURS", default=24)

# Working days allowed for each kind of task (weekends and England and Wales bank holidays
# excluded). Override any of them with TASK_DEADLINES='{"threshold_decision": 3}'.
TASK_DEADLINES = {
    "police_acknowledge": 1,
    "police_deconfliction": 2,
    "police_gateway_checks": 5,
    "police_information_gathering": 10,
    "la_acknowledge": 1,
    "la_initial_discussion": 3,
    "la_safeguarding_checks": 5,
    "threshold_decision": 5,
    "assurance_review": 3,
    "below_threshold_outcome": 5,
    "risk_assessment": 10,
    "outcome_decision": 5,
    "adoption_decision": 20,
    "not_adopted_outcome": 5,
    "consent": 10,
    "consent_outcome": 5,
    "support_plan": 10,
    "panel_review": 65,
    "post_exit_review_6": 10,
    "post_exit_review_12": 10,
    "complaint_acknowledge": 5,
    "complaint_respond": 20,
} | env.json("TASK_DEADLINES", default={})

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Organisations' systems: bearer tokens of their API clients (api/models.py).
        "api.authentication.ApiTokenAuthentication",
        # People: their sign-in to the pages (with its second factor).
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # A session still waiting for its second factor reaches no endpoint.
        "api.authentication.SecondFactorOrToken",
        # A token reaches only the endpoints that name one of its client's scopes.
        "api.authentication.ClientScopes",
    ],
    # Per API client and per person, counted on the shared cache (CACHE_URL in production).
    "DEFAULT_THROTTLE_CLASSES": [
        "api.authentication.ClientRateThrottle",
        "api.authentication.PersonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "client": env("API_CLIENT_RATE", default="300/min"),
        "user": env("API_PERSON_RATE", default="600/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Every list by cursor, on each view's `cursor_ordering` (api/pagination.py).
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPage",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
# The key behind tasks' opaque API ids (config/task_ids.py); derived from SECRET_KEY when unset.
# Set it once and keep it: a new key gives every task a new API id.
API_ID_KEY = env("API_ID_KEY", default="")
# How long a new API client token lasts before it must be rotated.
API_TOKEN_LIFETIME_DAYS = env.int("API_TOKEN_LIFETIME_DAYS", default=365)
SPECTACULAR_SETTINGS = {
    "TITLE": "Prevent referrals API",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    # Each error answer is the RFC 9457 `Problem`, declared once for every endpoint it can
    # come from (api/schema.py); the enum hook is drf-spectacular's default one.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.problems_declare",
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes every endpoint and field: only for people who have signed in.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI and ReDoc come from drf-spectacular-sidecar, served as our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The risk ratings are one choice set, however many fields use it.
    "ENUM_NAME_OVERRIDES": {
        "RatingEnum": "workflows.engine.models.Rating",
        # The referral's status keeps the name it had before the webhooks' own statuses.
        "StatusEnum": "referrals.models.ReferralStatus",
        "WebhookEventEnum": "api.models.WebhookEvent",
        "WebhookDeliveryStatusEnum": "api.models.WebhookDeliveryStatus",
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): everything from the service itself, no inline script
# or style anywhere (templates load static files instead; tests/config/test_headers.py and
# tests/browser/ hold every page to it). img-src allows data: for GOV.UK Frontend's and
# Swagger UI's small inline images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Permissions-Policy (django-permissions-policy): no page needs any of these powerful features.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
