"""Test settings: SQLite in memory unless DATABASE_URL is set; REDIS_URL adds Redis."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
# No persistent connections: a live server's request thread (kept alive by a browser) must not
# hold a connection to the test database when the suite drops it.
DATABASES["default"]["CONN_MAX_AGE"] = 0

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "sms.backends.locmem.SmsBackend"  # sms.outbox, emptied before each test
SMS_FROM = "+15595550100"
TEXTS_ENABLED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Serve static files from the app folders (no collectstatic before tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
SERVE_MEDIA = True  # uploads are in memory (STORAGES above); events.views.media reads them there

# Keys of the test suite are prefixed so that the suite can clean up after itself in a shared Redis.
CACHES["default"]["KEY_PREFIX"] = "pledgeday-test"  # noqa: F405
