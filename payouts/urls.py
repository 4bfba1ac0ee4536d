"""URLs of closing and paying: organizer pages under organize/, a partner's under partners/."""

from django.urls import path

from payouts import views

app_name = "payouts"

urlpatterns = [
    path("organize/<slug:slug>/payouts/", views.day, name="day"),
    path("organize/<slug:slug>/close/", views.close, name="close"),
    path("organize/<slug:slug>/payouts/compute/", views.compute, name="compute"),
    path("organize/<slug:slug>/export/payouts.csv", views.payouts_csv, name="export_payouts"),
    path("organize/payout-runs/<int:run_id>/approve/", views.approve, name="approve"),
    path("organize/payout-runs/<int:run_id>/grants/", views.grant_report, name="grant_report"),
    path("organize/payout-runs/<int:run_id>/grants.csv", views.grant_csv, name="grant_csv"),
    path("organize/payouts/<int:payout_id>/paid/", views.grant_paid, name="grant_paid"),
    path("organize/payouts/<int:payout_id>/<str:action>/", views.note, name="note"),
    path("organize/buckets/<int:assignment_id>/late-count/", views.late_count, name="late_count"),
    path("partners/<slug:organization_slug>/", views.organization_page, name="organization"),
    path("partners/<slug:organization_slug>/stripe/", views.connect, name="connect"),
    path(
        "partners/<slug:organization_slug>/stripe/return/",
        views.connect_return,
        name="connect_return",
    ),
    path(
        "partners/<slug:organization_slug>/<slug:slug>/statement/",
        views.statement,
        name="statement",
    ),
    path(
        "partners/<slug:organization_slug>/<slug:slug>/statement.csv",
        views.statement_csv,
        name="statement_csv",
    ),
]
