"""The pages of closing and paying (issue 9): finance sees the arithmetic and the runs, a lead
closes, grants are recorded, the grant report prints, partners see their own statement and
nobody else's, and every CSV is spreadsheet-safe."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from donations import services
from donations.services.payments import Facts
from events.models import Event, Membership, Organization
from payouts.models import AuditEntry, Payout, PayoutRun
from tests.factories import CardDonationFactory, MembershipFactory, UserFactory, published_event

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def role(event: Event, name: str):
    return MembershipFactory(event=event, role=name).user


def checks(event: Event, *amounts: int, to: Organization | None = None) -> None:
    for number, amount in enumerate(amounts, 1):
        services.check_record(
            event=event, amount_cents=amount, donor_name="=HYPERLINK(\"x\")",
            check_number=f"{amount}-{number}", donor_email="", designated_to=to,
            by=UserFactory(), now=NOW, repeated_number_confirmed=True,
        )  # fmt: skip


def test_finance_sees_what_each_partner_would_receive_before_closing() -> None:
    event = published_event()
    checks(event, 10_000)
    page = signed_in(role(event, Membership.Role.FINANCE)).get(f"/organize/{event.slug}/payouts/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "What each partner would receive now" in body
    for figure in ("$60.00", "$40.00", "$100.00"):
        assert figure in body
    assert "Only a coalition lead can close the day early." in body
    organizer = signed_in(role(event, Membership.Role.ORGANIZER))
    assert organizer.get(f"/organize/{event.slug}/payouts/").status_code == 403


def test_a_lead_closes_with_the_days_name_and_finance_pays_the_grants(
    django_capture_on_commit_callbacks,
) -> None:
    event = published_event()
    checks(event, 10_000, 2_345)
    lead = signed_in(role(event, Membership.Role.LEAD))
    finance_user = role(event, Membership.Role.FINANCE)
    finance = signed_in(finance_user)
    assert (
        finance.post(f"/organize/{event.slug}/close/", {"confirm": event.slug}).status_code == 403
    )
    wrong = lead.post(f"/organize/{event.slug}/close/", {"confirm": "yes"}, follow=True)
    assert "Type the pledge day" in wrong.content.decode()
    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        lead.post(f"/organize/{event.slug}/close/", {"confirm": event.slug})
    assert Event.objects.get(pk=event.pk).status == Event.Status.CLOSED
    run = PayoutRun.objects.get(event=event)
    page = finance.get(f"/organize/{event.slug}/payouts/").content.decode()
    assert "Check with Stripe and approve" in page
    assert "$123.45" in page  # the net raised as of the run
    with django_capture_on_commit_callbacks(execute=True):
        approved = finance.post(f"/organize/payout-runs/{run.pk}/approve/", follow=True)
    assert "Approved." in approved.content.decode()
    line = run.payouts.order_by("organization_id").first()
    form = finance.get(f"/organize/{event.slug}/payouts/").content.decode()
    assert f'action="/organize/payouts/{line.pk}/paid/"' in form
    paid = finance.post(
        f"/organize/payouts/{line.pk}/paid/",
        {"paid_on": NOW.date().isoformat(), "method": "check", "reference": "10452"},
        follow=True,
    )
    assert "Recorded as paid." in paid.content.decode()
    line.refresh_from_db()
    assert (line.status, line.paid_reference, line.paid_by) == ("paid", "10452", finance_user)
    again = finance.post(
        f"/organize/payouts/{line.pk}/paid/",
        {"paid_on": NOW.date().isoformat(), "method": "check", "reference": "999"},
        follow=True,
    )
    assert "record a correction instead" in again.content.decode()
    report = finance.get(f"/organize/payout-runs/{run.pk}/grants/").content.decode()
    assert line.organization.legal_name in report
    assert "$123.45" in report  # the total of the grants
    assert "10452" in report
    grants = b"".join(finance.get(f"/organize/payout-runs/{run.pk}/grants.csv").streaming_content)
    assert grants.decode().count("\n") == 3  # header and two grants
    trail = finance.get(f"/organize/{event.slug}/payouts/").content.decode()
    for action in ("Closed the pledge day", "Computed the payouts", "Approved the payouts",
                   "Recorded a grant as paid"):  # fmt: skip
        assert action in trail
    actions = list(AuditEntry.objects.filter(event=event).values_list("action", flat=True))
    assert actions == ["closed", "computed", "approved", "grant_paid"]


def test_the_payouts_csv_lists_every_run_and_is_spreadsheet_safe() -> None:
    event = published_event()
    partner = event.partners.first().organization
    Organization.objects.filter(pk=partner.pk).update(name="=cmd|' /C calc'!A0")
    checks(event, 5_000)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED, closed_at=NOW)
    from payouts import services as payouts

    payouts.payouts_compute(event_id=event.pk, now=NOW)
    finance = signed_in(role(event, Membership.Role.FINANCE))
    response = finance.get(f"/organize/{event.slug}/export/payouts.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("run,computed,approved,organization,method,status")
    assert len(lines) == 3
    assert "'=cmd|' /C calc'!A0" in text
    assert sum(float(row.split(",")[-6]) for row in lines[1:] if row) == 50.0


def test_partners_see_their_own_statement_and_nobody_elses() -> None:
    event = published_event()
    first, second = (p.organization for p in event.partners.order_by("organization_id"))
    checks(event, 10_000, to=first)
    gift = CardDonationFactory(event=event, amount_cents=2_000, donor_name="Secret Person",
                               anonymous=True)  # fmt: skip
    services.donation_observe(donation_id=gift.pk, facts=Facts(paid=True), now=NOW)
    member = UserFactory()
    Membership.objects.create(user=member, organization=first, role=Membership.Role.PARTNER)
    client = signed_in(member)
    home = client.get(f"/partners/{first.slug}/").content.decode()
    assert event.title in home
    assert "partners are paid as grants" in home  # no Stripe keys here
    statement = client.get(f"/partners/{first.slug}/{event.slug}/statement/").content.decode()
    assert "$100.00" in statement  # designated to it
    assert "Secret Person" not in statement
    assert "Anonymous" in statement
    data = b"".join(
        client.get(f"/partners/{first.slug}/{event.slug}/statement.csv").streaming_content
    ).decode("utf-8-sig")
    assert "Secret Person" not in data
    assert "'=HYPERLINK" in data  # the check's donor name, kept as text
    assert "@" not in data  # never an email address
    assert client.get(f"/partners/{second.slug}/").status_code == 403
    assert client.get(f"/partners/{second.slug}/{event.slug}/statement/").status_code == 403
    finance = signed_in(role(event, Membership.Role.FINANCE))
    assert finance.get(f"/partners/{second.slug}/{event.slug}/statement/").status_code == 200
    assert Client().get(f"/partners/{first.slug}/").status_code == 302  # sign in first


def test_without_stripe_keys_connecting_says_partners_are_paid_as_grants() -> None:
    event = published_event()
    partner = event.partners.first().organization
    lead = UserFactory()
    Membership.objects.create(user=lead, organization=partner, role=Membership.Role.LEAD)
    client = signed_in(lead)
    page = client.get(f"/partners/{partner.slug}/").content.decode()
    assert "partners are paid as grants" in page
    answer = client.post(f"/partners/{partner.slug}/stripe/", follow=True).content.decode()
    assert "Stripe Connect needs the site" in answer
    assert Organization.objects.get(pk=partner.pk).stripe_account_id == ""
    staff = UserFactory()
    Membership.objects.create(user=staff, organization=partner, role=Membership.Role.PARTNER)
    assert signed_in(staff).post(f"/partners/{partner.slug}/stripe/").status_code == 404
    assert Payout.objects.count() == 0


@pytest.mark.postgres
def test_a_statement_written_by_postgresql_has_the_cells_of_the_python_rows() -> None:
    """On PostgreSQL a statement's CSV comes from COPY (a partner of a million pooled gifts has
    a million rows): cell for cell what the row-by-row path writes elsewhere."""
    import csv
    import io

    from payouts import exports
    from tests.donations.test_exports import _same_cells
    from tests.support.live_day import live_day, paid_gift

    day = live_day()
    paid_gift(day.event, 1234, donor_name="=cmd|' /C calc'!A0")
    anonymous = CardDonationFactory(event=day.event, donor_name="Hidden", anonymous=True)
    services.donation_observe(donation_id=anonymous.pk, facts=Facts(paid=True), now=NOW)
    partner = day.event.partners.first().organization
    copied = list(csv.reader(io.StringIO("".join(exports.statement_rows(day.event, partner)))))
    python = list(exports._statement_rows(day.event, partner))
    assert len(python) > 5
    _same_cells(copied, python, {0})
    assert not any("Hidden" in cell for row in copied for cell in row)
    assert any(row[4] == "'=cmd|' /C calc'!A0" for row in copied)


def test_a_replaced_run_offers_no_approval() -> None:
    event = published_event()
    checks(event, 10_000)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    from payouts import services as payouts

    first = payouts.payouts_compute(event_id=event.pk, now=NOW)
    checks(event, 500)
    second = payouts.payouts_compute(event_id=event.pk, now=NOW)
    page = signed_in(role(event, Membership.Role.FINANCE)).get(f"/organize/{event.slug}/payouts/")
    body = page.content.decode()
    assert f"/organize/payout-runs/{second.pk}/approve/" in body
    assert f"/organize/payout-runs/{first.pk}/approve/" not in body
    assert "replaced by a later run" in body
