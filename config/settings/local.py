"""The embedded default: SQLite, a file-based Celery broker, localstripe, mail written to files."""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-never-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
# Texts are written to files too (django-sms), one file per sending connection.
SMS_BACKEND = env.str("SMS_BACKEND", default="sms.backends.filebased.SmsBackend")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=VAR_DIR / "sms")
SMS_FROM = env.str("SMS_FROM", default="+15595550100")
TEXTS_ENABLED = bool(SMS_BACKEND)
