"""The site's URL map: each app owns its own urls.py."""

import re
from urllib.parse import urlsplit

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from events.views import healthz, media

admin.site.site_header = _("Pledgeday administration")
admin.site.site_title = _("Pledgeday")
# The admin signs in through allauth: its rate limits and verified-email rule apply there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", include("events.urls")),
    path("", include("volunteers.urls")),
    path("", include("donations.urls")),
    path("", include("payouts.urls")),
    path("", include("notices.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
if settings.SERVE_MEDIA:
    # Uploaded logos and covers (events.views.media); production usually serves them elsewhere.
    urlpatterns.append(
        re_path(
            rf"^{re.escape(urlsplit(settings.MEDIA_URL).path.strip('/'))}/(?P<path>.+)$",
            media,
            name="media",
        )
    )
