"""Production: refuses to start without its secrets, PostgreSQL and Redis; hardened."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, REDIS_URL, SECRET_KEY, env


def _refuse(problem: str) -> None:
    raise ImproperlyConfigured(f"Production settings refuse to start: {problem}")


if not SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    _refuse("SECRET_KEY must be set to a random value of at least 50 characters.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    _refuse("ALLOWED_HOSTS must list the site's host names.")
if not env.str("DATABASE_URL", default=""):
    _refuse("DATABASE_URL must point at PostgreSQL (postgres://...).")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    _refuse("DATABASE_URL must point at PostgreSQL, not " + DATABASES["default"]["ENGINE"] + ".")
if not REDIS_URL:
    _refuse("REDIS_URL must be set (Celery broker, cache and rate limits).")
if not env.str("STRIPE_SECRET_KEY", default="") or not env.str("STRIPE_WEBHOOK_SECRET", default=""):
    _refuse(
        "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set: without them the card gateway "
        "would be the demo one, whose webhook secret is public."
    )
# Mail goes out by SMTP (EMAIL_URL), or through an email provider's API with django-anymail:
# EMAIL_BACKEND=anymail.backends.postmark.EmailBackend and the provider's settings as ANYMAIL_*
# variables (ANYMAIL_POSTMARK_SERVER_TOKEN=... becomes ANYMAIL["POSTMARK_SERVER_TOKEN"]).
EMAIL_PROVIDER_BACKEND = env.str("EMAIL_BACKEND", default="")
if EMAIL_PROVIDER_BACKEND and not EMAIL_PROVIDER_BACKEND.startswith("anymail.backends."):
    _refuse("EMAIL_BACKEND may only name a django-anymail backend; use EMAIL_URL for SMTP.")
if not env.str("EMAIL_URL", default="") and not EMAIL_PROVIDER_BACKEND:
    _refuse(
        "EMAIL_URL (SMTP) or EMAIL_BACKEND (a django-anymail provider) must be set: sign-up "
        "verification, notices and receipts are sent by email."
    )

DEBUG = False
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS]
)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Joining the browsers' HSTS preload list is a deliberate, hard-to-undo choice for each domain.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

if EMAIL_PROVIDER_BACKEND:
    EMAIL_BACKEND = EMAIL_PROVIDER_BACKEND
    ANYMAIL = {
        name.removeprefix("ANYMAIL_"): value
        for name, value in os.environ.items()
        if name.startswith("ANYMAIL_")
    }
else:
    EMAIL_CONFIG = env.email_url("EMAIL_URL")
    vars().update(EMAIL_CONFIG)

# Production runs behind one load balancer by default: the donor's address (for the gift-start
# limits) is the one it appends to X-Forwarded-For. Set TRUSTED_PROXY_COUNT to the number of
# proxies in front (2 with a CDN before the load balancer; 0 where nothing sits in front).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

# Unhandled errors are mailed to ADMIN_EMAILS (the 500 page promises someone is told).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {"level": "ERROR", "class": "django.utils.log.AdminEmailHandler"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {
            "handlers": ["console", "mail_admins"],
            "level": "ERROR",
            "propagate": False,
        },
    },
}
