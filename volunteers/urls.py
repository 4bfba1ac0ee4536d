"""URLs of the volunteer side (volunteers and organizers)."""

from django.urls import path

from events import converters  # noqa: F401 (registers the token converters used below)
from volunteers import views, views_organize

app_name = "volunteers"

urlpatterns = [
    # Ahead of django.conf.urls.i18n in config/urls.py, so the header's form (posting to
    # {% url 'set_language' %}, /i18n/setlang/) reaches this view first: it also remembers the
    # choice on a signed-in person's account.
    path("i18n/setlang/", views.language_switch, name="language_switch"),
    path("volunteer/profile/", views.profile_edit, name="profile"),
    path("volunteer/shifts/", views.my_shifts, name="my_shifts"),
    path("events/<slug:slug>/shifts/", views.shift_list, name="shift_list"),
    path("events/<slug:slug>/anywhere/", views.pool_join, name="pool_join"),
    path("shifts/<int:shift_id>/signup/", views.shift_signup, name="shift_signup"),
    path("signups/<int:signup_id>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("signups/<int:signup_id>/shift.ics", views.signup_ics, name="signup_ics"),
    path("pool/<int:entry_id>/leave/", views.pool_leave, name="pool_leave"),
    path("calendar/<url_token:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("volunteer/calendar/reset/", views.calendar_link_reset, name="calendar_link_reset"),
    # Organizers
    path("organize/<slug:slug>/", views_organize.dashboard, name="organize"),
    path("organize/<slug:slug>/auto-assign/", views_organize.auto_assign, name="auto_assign"),
    path("organize/<slug:slug>/shifts/new/", views_organize.shifts_bulk, name="shifts_bulk"),
    path("organize/<slug:slug>/shifts/copy/", views_organize.shifts_copy, name="shifts_copy"),
    path("organize/shifts/<int:shift_id>/", views_organize.shift_roster, name="organize_shift"),
    path("organize/shifts/<int:shift_id>/edit/", views_organize.shift_edit, name="shift_edit"),
    path(
        "organize/shifts/<int:shift_id>/cancel/",
        views_organize.shift_cancel,
        name="shift_cancel",
    ),
    path(
        "organize/signups/<int:signup_id>/<str:action>/",
        views_organize.signup_action,
        name="signup_action",
    ),
    path(
        "organize/shifts/<int:shift_id>/hand-out/",
        views_organize.bucket_hand_out,
        name="bucket_hand_out",
    ),
    path(
        "organize/buckets/<int:assignment_id>/return/",
        views_organize.bucket_return,
        name="bucket_return",
    ),
]
