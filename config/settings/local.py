"""The embedded default: SQLite, a file-based Celery broker, localstripe, mail written to files."""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

# DEBUG is off, so the demo shows the site's own 404 and 500 pages as people will meet them
# (a mistyped bucket link gets the real "page not found"); DJANGO_DEBUG=1 brings back Django's
# debug pages for development. Static files come from the app folders through WhiteNoise, and
# uploaded logos and covers from var/media through events.views.media.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
DEMO_SITE = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
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
