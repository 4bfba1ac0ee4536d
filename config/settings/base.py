"""Settings shared by every environment; everything that differs comes from the environment."""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime state of the embedded default (SQLite, broker file, outgoing mail): never committed.
VAR_DIR = Path(environ.Env().str("PLEDGEDAY_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])

# --- Applications -------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "csp",
    "events",
    "volunteers",
    "donations",
    "payouts",
    "notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything that may query with what the request carries (sessions first).
    "events.middleware.RefuseNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A GET of a POST-only address: our page with a way back, not the browser's error page.
    "events.middleware.FriendlyMethodNotAllowedMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "events.context_processors.hotline",
                "events.navigation.organizing",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs a web server, a worker and beat on one file: wait for locks instead of failing,
    # and take the write lock at the start of a transaction so two writers never deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "volunteers.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        # Django's Redis cache, keeping one client per pool (config/cache.py says why).
        "default": {"BACKEND": "config.cache.SharedClientRedisCache", "LOCATION": REDIS_URL}
    }
    # A signed-in request reads its session from Redis rather than PostgreSQL (written to both).
    # Only with a cache every process shares: with one per process, a session ended in one
    # process would live on in the others.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts (django-allauth: email login, mandatory verification) -----------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Pledgeday] "
# Accounts in the person's language, emails naming the pledge day: volunteers/accounts.py
ACCOUNT_ADAPTER = "volunteers.accounts.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="https")
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time --------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
# Our catalog, then our tú versions of Django's and allauth's own strings (locale_tu/).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_tu"]
USE_I18N = True
USE_TZ = True
# The site's default zone (admin, emails); every event carries its own zone for what people see.
TIME_ZONE = env.str("TIME_ZONE", default="America/Los_Angeles")

# --- Static files -------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded logos and covers (events.images resizes them; each stored name is immutable). In
# production the web server or a CDN serves MEDIA_ROOT at MEDIA_URL (docs/images.md), or
# cloud storage does (STORAGES["default"]); SERVE_MEDIA=True lets Django serve them instead
# (events.views.media: images only, cached for a year), as the demo does.
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)
# The embedded demo (config/settings/local.py): seed_demo may create its published accounts.
DEMO_SITE = False

# --- Mail ---------------------------------------------------------------------------------------

# The address people reach the site at, for links in emails sent outside a request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pledgeday <no-reply@pledgeday.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A mail server that stops answering must not hold a worker: receipts' claims outlast this.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
EMAIL_SUBJECT_PREFIX = "[Pledgeday] "  # mail to the admins (alerts)
# Who gets alerts (parked payments, receipts that could not be sent, broken invariants, unusual
# gift rates) and, in production, unhandled errors: ADMIN_EMAILS=ops@example.org,ana@example.org
ADMINS = [("Pledgeday operators", address) for address in env.list("ADMIN_EMAILS", default=[])]

# --- Text messages (django-sms) -------------------------------------------------------------------

# Texts go out only when a backend is set: notices.sms_backends.SmsBackend in production (with
# TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_FROM, the sending number); the demo writes them
# to var/sms/. Without one, the profile offers no texts and none are planned.
SMS_BACKEND = env.str("SMS_BACKEND", default="")
SMS_FROM = env.str("SMS_FROM", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TEXTS_ENABLED = bool(SMS_BACKEND)
# Seconds a request to the text provider may take (far less than a notice's lease).
SMS_TIMEOUT = env.float("SMS_TIMEOUT", default=20.0)
# Numbers typed without a country code are read as numbers of this region.
PHONE_REGION = env.str("PHONE_REGION", default="US")

# --- Celery (JSON only, time limits, tasks queued on commit) -----------------------------------

CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# How often the beat plans and queues due notices, and how long a worker's claim on one lasts
# (longer than the task's hard time limit plus EMAIL_TIMEOUT: it expires only once its worker
# can no longer be sending). Both are shortened only by tests that kill workers.
NOTICES_SCAN_SECONDS = env.float("NOTICES_SCAN_SECONDS", default=60.0)
NOTICE_LEASE_SECONDS = env.int("NOTICE_LEASE_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "events-advance-status": {
        "task": "events.tasks.events_advance_status",
        "schedule": 60.0,
    },
    # Receipts no task took (broker down at commit, a worker killed mid-send).
    "donations-receipts-scan": {
        "task": "donations.tasks.donation_receipts_scan",
        "schedule": 300.0,
    },
    # Parked Stripe events whose gift may have become known; Stripe's actual fees.
    "donations-stripe-scan": {"task": "donations.tasks.stripe_scan", "schedule": 600.0},
    # Succeeded payments no webhook reported (a missed webhook loses no gift).
    "donations-payments-reconcile": {
        "task": "donations.tasks.payments_reconcile",
        "schedule": 900.0,
    },
    # Shift reminders (and every notice) planned and sent: never a long countdown or ETA.
    "notices-scan": {"task": "notices.tasks.notices_scan", "schedule": NOTICES_SCAN_SECONDS},
    # Payouts of days that closed by themselves or changed since; transfers nobody is sending.
    "payouts-scan": {"task": "payouts.tasks.payouts_scan", "schedule": 300.0},
    # Every tally recomputed from the ledger at 03:30 UTC (late evening in California).
    "donations-tallies-reconcile": {
        "task": "donations.tasks.tallies_reconcile",
        "schedule": crontab(hour=3, minute=30),
    },
}

# --- Stripe (the gateway talks to real Stripe when keys are set, else to localstripe) ----------

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Names this site in the metadata of its Stripe payments; events naming another site are not
# ours (staging and production may share one Stripe account). Defaults to SITE_URL's host.
PLEDGEDAY_INSTANCE = env.str("PLEDGEDAY_INSTANCE", default=urlsplit(SITE_URL).netloc)
# Where the SDK sends requests made with real keys: Stripe, or a test double of its API (the
# payout tests' recording server); never change it in production.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
LOCALSTRIPE_URL = env.str("LOCALSTRIPE_URL", default="http://127.0.0.1:8420")
# The beat asks Stripe for the PaymentIntents of this many hours back and records any succeeded
# one no webhook reported (donations.services.reconcile).
STRIPE_RECONCILE_HOURS = env.int("STRIPE_RECONCILE_HOURS", default=48)
# Payouts: how long a worker holds a transfer it is sending before another may retry it (longer
# than a Stripe request's timeout and its retries); the country of partners' connected accounts.
PAYOUT_CLAIM_SECONDS = env.int("PAYOUT_CLAIM_SECONDS", default=120)
STRIPE_CONNECT_COUNTRY = env.str("STRIPE_CONNECT_COUNTRY", default="US")

# --- Giving: limits on starting card gifts (donations.ratelimit) --------------------------------

# Card testing itself happens on Stripe's hosted Checkout page, where Stripe Radar applies. These
# limits keep one browser or one network from flooding us with pending gifts and Checkout
# Sessions, without refusing a busy corner whose donors share one carrier-NAT address. Rates are
# django-ratelimit's "count/period" (s, m, h, d; "10/10m" is 10 per 10 minutes).
_rate_format = re.compile(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]")


def _rate(name: str, default: str) -> str:
    rate = env.str(name, default=default)
    if not _rate_format.fullmatch(rate):
        raise ImproperlyConfigured(f'{name} must look like "10/10m" (a count per period).')
    return rate


for _obsolete, _replacement in {
    "DONATION_RATE_PER_IP": "DONATION_LIMIT_PER_ADDRESS and DONATION_LIMIT_PER_BROWSER",
    "DONATION_RATE_PER_EVENT": "DONATION_ALERT_PER_EVENT (an alert now, not a refusal)",
    "USE_X_FORWARDED_FOR": "TRUSTED_PROXY_COUNT (the number of proxies in front of the site)",
}.items():
    if _obsolete in os.environ:
        raise ImproperlyConfigured(f"{_obsolete} is no longer read: set {_replacement}.")

# Gift starts per browser (its CSRF cookie) and per address (an IPv4 address, or an IPv6 /64:
# one subscriber's whole network). Refused above these, with the page's "Too many gifts" message.
DONATION_LIMIT_PER_BROWSER = _rate("DONATION_LIMIT_PER_BROWSER", "10/10m")
DONATION_LIMIT_PER_ADDRESS = _rate("DONATION_LIMIT_PER_ADDRESS", "300/10m")
# Gift starts per event across everyone: above it, one alert per period (never a refusal).
DONATION_ALERT_PER_EVENT = _rate("DONATION_ALERT_PER_EVENT", "600/m")
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "donations.ratelimit.client_ip"
RATELIMIT_IPV4_MASK = 32
RATELIMIT_IPV6_MASK = 64
# A counter the cache lost between its add and its increment lets the gift through.
RATELIMIT_FAIL_OPEN = True

# The donor's address (django-ipware). 0: the site faces the internet and REMOTE_ADDR is the
# donor. N: N reverse proxies (load balancer, CDN) stand in front, each appending the address it
# saw to X-Forwarded-For; the donor is the address the outermost one wrote, and whatever the
# donor's own request put before it is ignored. The site must be reachable only through them.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

# --- Content-Security-Policy (django-csp): no inline script or style anywhere ---------------------

# Where Stripe Checkout lives: the give page's form posts to us and we answer 303 there, and
# form-action also governs that redirect. (A Checkout custom domain goes here.)
STRIPE_CHECKOUT_ORIGIN = env.str("STRIPE_CHECKOUT_ORIGIN", default="https://checkout.stripe.com")
_media = urlsplit(MEDIA_URL)
_media_origin = [f"{_media.scheme}://{_media.netloc}"] if _media.scheme and _media.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Uploaded pictures served from another origin (a CDN or a bucket: docs/images.md).
        "img-src": [SELF, *_media_origin],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF, STRIPE_CHECKOUT_ORIGIN],
    },
}
# Where browsers report violations, if anywhere (django-csp rejects settings named CSP_*).
_csp_report_uri = env.str("CSP_REPORT_URI", default="")
if _csp_report_uri:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]

# --- The coalition's always-shown help line ----------------------------------------------------

NATIONAL_HOTLINE_NAME = _("National Human Trafficking Hotline")
NATIONAL_HOTLINE_PHONE = "1-888-373-7888"
NATIONAL_HOTLINE_TEXT = "233733"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
