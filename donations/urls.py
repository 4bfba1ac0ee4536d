"""URLs of the money path."""

from django.urls import path

from donations import views, views_live, views_organize
from events import converters  # noqa: F401 (registers the token converters used below)

app_name = "donations"

urlpatterns = [
    path("g/<bucket_token:token>", views.give_bucket, name="give_bucket"),
    path("events/<slug:slug>/give/", views.give_event, name="give_event"),
    path("events/<slug:slug>/totals.json", views.event_totals_json, name="totals_json"),
    path("events/<slug:slug>/screen/", views_live.screen, name="screen"),
    path("events/<slug:slug>/screen/panels/", views_live.screen_panels, name="screen_panels"),
    path("organize/<slug:slug>/live/", views_live.control_room, name="control_room"),
    path(
        "organize/<slug:slug>/live/panels/",
        views_live.control_room_panels,
        name="control_room_panels",
    ),
    path("give/demo-pay/<url_token:token>/", views.demo_pay, name="demo_pay"),
    path("give/thanks/<url_token:token>/", views.thanks, name="thanks"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("organize/<slug:slug>/donations/", views_organize.donation_list, name="organize_list"),
    path("organize/<slug:slug>/checks/new/", views_organize.check_new, name="check_new"),
    path("organize/<slug:slug>/labels/", views_organize.bucket_labels, name="labels"),
    path(
        "organize/donations/<int:donation_id>/refund/",
        views_organize.donation_refund,
        name="refund",
    ),
    path(
        "organize/buckets/<int:assignment_id>/count/", views_organize.cash_count, name="cash_count"
    ),
    path("organize/<slug:slug>/attention/", views_organize.attention, name="attention"),
    *(
        path(
            f"organize/<slug:slug>/export/{what}.csv",
            views_organize.export,
            {"what": what},
            name=f"export_{what}",
        )
        for what in views_organize.EXPORTS
    ),
    path(
        "organize/pledges/<int:pledge_id>/received/",
        views_organize.pledge_received,
        name="pledge_received",
    ),
    path("organize/donations/<int:donation_id>/void/", views_organize.donation_void, name="void"),
    path(
        "organize/donations/<int:donation_id>/receipt/",
        views_organize.receipt_retry,
        name="receipt_retry",
    ),
    path(
        "organize/refunds/<int:refund_id>/handled/",
        views_organize.refund_handled,
        name="refund_handled",
    ),
    path(
        "organize/stripe-events/<int:record_id>/<str:action>/",
        views_organize.parked_resolve,
        name="parked_resolve",
    ),
]
