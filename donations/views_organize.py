"""Organizer pages of the money path: gifts, what needs attention, refunds, voids, cash counts,
checks, bucket labels. Every view goes through events.permissions.organizer_view: the money
roles (lead, organizer, finance) see and record; decisions about money already taken (refunds,
voids, parked payments) are for leads and the finance role."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from donations import exports, selectors, services
from donations.forms import (
    CashCountForm,
    CheckForm,
    NoteForm,
    PledgeReceivedForm,
    ReceiptRetryForm,
    RefundForm,
    VoidForm,
)
from donations.models import CashCount, Donation, MatchPledge, Refund, StripeEvent
from events.models import Event
from events.permissions import (
    event_by_slug,
    organizer_view,
    user_can_handle_money,
    user_can_manage_finances,
)
from events.text import local_text
from volunteers.auth import signed_in_user
from volunteers.models import BucketAssignment

# --- Loaders: the object a URL names, and its pledge day (404 when there is none) -----------


def donation_by_id(donation_id: int) -> tuple[Donation, Event]:
    donation = Donation.objects.select_related("event").filter(pk=donation_id).first()
    if donation is None:
        raise Http404
    return donation, donation.event


def assignment_by_id(assignment_id: int) -> tuple[BucketAssignment, Event]:
    assignment = (
        BucketAssignment.objects.select_related("bucket__event", "shift__corner")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment, assignment.bucket.event


def stripe_event_by_id(record_id: int) -> tuple[StripeEvent, Event]:
    record = StripeEvent.objects.select_related("event", "donation").filter(pk=record_id).first()
    if record is None or record.event is None:
        raise Http404  # a payment of no known pledge day is for the admins (the admin site)
    return record, record.event


def pledge_by_id(pledge_id: int) -> tuple[MatchPledge, Event]:
    pledge = MatchPledge.objects.select_related("event").filter(pk=pledge_id).first()
    if pledge is None:
        raise Http404
    return pledge, pledge.event


def refund_by_id(refund_id: int) -> tuple[Refund, Event]:
    refund = Refund.objects.select_related("donation__event").filter(pk=refund_id).first()
    if refund is None:
        raise Http404
    return refund, refund.donation.event


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Gifts and what needs attention ----------------------------------------------------------


@organizer_view(user_can_handle_money, load=event_by_slug)
@require_GET
def donation_list(request: HttpRequest, event: Event) -> HttpResponse:
    return render(
        request,
        "donations/organize/list.html",
        {
            "event": event,
            "donations": selectors.event_donations(event=event)[:200],
            "totals": selectors.event_totals(event=event),
            "attention_count": selectors.event_attention_count(event=event),
            "pledges": MatchPledge.objects.filter(event=event).select_related(
                "organization", "corner"
            ),
            "can_decide": user_can_manage_finances(request.user, event),
        },
    )


@organizer_view(user_can_manage_finances, load=pledge_by_id)
@require_POST
def pledge_received(request: HttpRequest, pledge: MatchPledge) -> HttpResponse:
    """Finance records money received from a matching pledge's sponsor."""
    form = PledgeReceivedForm(request.POST, currency=pledge.event.currency)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            services.match_pledge_receive(
                pledge=pledge, amount_cents=form.cleaned_data["amount"], now=timezone.now()
            )
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(
                request, _("Recorded as received from %(sponsor)s.") % {"sponsor": pledge.sponsor}
            )
    return redirect("donations:organize_list", slug=pledge.event.slug)


@organizer_view(user_can_manage_finances, load=event_by_slug)
@require_GET
def attention(request: HttpRequest, event: Event) -> HttpResponse:
    """Every gift that needs a finance organizer: parked payments, failed receipts and refunds,
    and the voided gifts for the record."""
    return render(
        request,
        "donations/organize/attention.html",
        {
            "event": event,
            "attention": selectors.event_attention(event=event),
            "note_form": NoteForm(),
            "receipt_form": ReceiptRetryForm(),
        },
    )


EXPORTS = {
    "gifts": (exports.GIFT_HEADER, lambda event, now: exports.gift_rows(event)),
    "allocations": (exports.ALLOCATION_HEADER, lambda event, now: exports.allocation_rows(event)),
    "roster": (exports.ROSTER_HEADER, lambda event, now: exports.roster_rows(event, now=now)),
}


@organizer_view(user_can_manage_finances, load=event_by_slug)
@require_GET
def export(request: HttpRequest, event: Event, what: str) -> StreamingHttpResponse:
    """/organize/<slug>/export/<what>.csv: a CSV of the pledge day's gifts, allocations or
    volunteer roster (with hours served), streamed; for leads and the finance role."""
    header, rows = EXPORTS[what]
    stamp = exports.file_stamp(event)
    return exports.csv_response(
        f"{event.slug}-{what}-{stamp}.csv", header, rows(event, timezone.now())
    )


def _to_attention(event: Event) -> HttpResponse:
    return redirect("donations:attention", slug=event.slug)


@organizer_view(user_can_manage_finances, load=stripe_event_by_id)
@require_POST
def parked_resolve(request: HttpRequest, record: StripeEvent, action: str) -> HttpResponse:
    """A parked payment: try again, accept the amount Stripe charged, refund it, or dismiss it."""
    assert record.event is not None  # noqa: S101 (the loader refuses one without)
    by, now = signed_in_user(request), timezone.now()
    try:
        if action == "retry":
            outcome = services.stripe_event_process(record=record, now=now)
            messages.info(request, outcome)
        elif action == "accept":
            services.stripe_event_accept_amount(record=record, by=by, now=now)
            messages.success(request, _("The gift now has the amount Stripe charged."))
        elif action == "refund":
            services.stripe_event_refund(record=record, by=by, now=now)
            messages.success(request, _("The payment was refunded in full to the donor."))
        elif action == "dismiss":
            form = NoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say what was done about this payment."))
            services.stripe_event_dismiss(
                record=record, by=by, note=form.cleaned_data["note"], now=now
            )
            messages.success(request, _("Marked as handled."))
        else:
            raise Http404
    except ValidationError as error:
        _refused(request, error)
    return _to_attention(record.event)


@organizer_view(user_can_manage_finances, load=donation_by_id)
@require_POST
def receipt_retry(request: HttpRequest, donation: Donation) -> HttpResponse:
    form = ReceiptRetryForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            services.donation_receipt_retry(
                donation=donation, donor_email=form.cleaned_data["donor_email"]
            )
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("The receipt is being sent again."))
    return _to_attention(donation.event)


@organizer_view(user_can_manage_finances, load=refund_by_id)
@require_POST
def refund_handled(request: HttpRequest, refund: Refund) -> HttpResponse:
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say how the donor was reached."))
        services.refund_failure_handle(
            refund=refund, by=signed_in_user(request), note=form.cleaned_data["note"],
            now=timezone.now(),
        )  # fmt: skip
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Marked as handled."))
    return _to_attention(refund.donation.event)


# --- Refunds and voids -----------------------------------------------------------------------


@organizer_view(user_can_manage_finances, load=donation_by_id)
@require_POST
def donation_refund(request: HttpRequest, donation: Donation) -> HttpResponse:
    """First post: the confirmation page ("refund $5.00 of this $25.00 gift?"); second post
    (confirmed): the refund."""
    event = donation.event
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("donations:organize_list", slug=event.slug)
    data = form.cleaned_data
    try:
        if not data["confirmed"]:
            services.donation_refund_check(
                donation=donation,
                amount_cents=data["amount"],
                refunded_seen=data["refunded_seen"],
                refunds_seen=data["refunds_seen"],
            )
            return render(
                request,
                "donations/organize/refund_confirm.html",
                {"event": event, "donation": donation, "amount": data["amount"], "form": form},
            )
        services.donation_refund(
            donation=donation,
            amount_cents=data["amount"],
            refunded_seen=data["refunded_seen"],
            refunds_seen=data["refunds_seen"],
            by=signed_in_user(request),
            now=timezone.now(),
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Refund sent to Stripe."))
    return redirect("donations:organize_list", slug=event.slug)


@organizer_view(user_can_manage_finances, load=donation_by_id)
@require_http_methods(["GET", "POST"])
def donation_void(request: HttpRequest, donation: Donation) -> HttpResponse:
    event = donation.event
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.donation_void(
                donation=donation,
                by=signed_in_user(request),
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The gift is voided; the ledger has a reversing entry."))
            return redirect("donations:organize_list", slug=event.slug)
    return render(
        request,
        "donations/organize/void.html",
        {"event": event, "donation": donation, "form": form},
    )


# --- Cash and checks ---------------------------------------------------------------------------


@organizer_view(user_can_handle_money, load=assignment_by_id)
@require_http_methods(["GET", "POST"])
def cash_count(request: HttpRequest, assignment: BucketAssignment) -> HttpResponse:
    event = assignment.bucket.event
    if event.status == Event.Status.CLOSED:  # final: a late change is finance's, audited
        return redirect("payouts:late_count", assignment_id=assignment.pk)
    people = selectors.counting_people(assignment, event).exclude(pk=signed_in_user(request).pk)
    current = CashCount.objects.filter(assignment=assignment, corrected_by__isnull=True).first()
    form = CashCountForm(
        request.POST or None,
        event=event,
        people=people,
        initial={"corrects": current.pk if current else None},
    )
    if request.method == "POST" and form.is_valid():
        shown = form.cleaned_data["corrects"]
        try:
            _count, created = services.cash_count_record(
                assignment=assignment,
                amount_cents=form.cleaned_data["amount"],
                counted_by=signed_in_user(request),
                witnessed_by=form.cleaned_data["witnessed_by"],
                corrects=CashCount.objects.filter(pk=shown, assignment=assignment).first()
                if shown
                else None,
                note=form.cleaned_data["note"],
                now=timezone.now(),
                submission_token=form.cleaned_data["submission_token"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, _("Count recorded."))
            else:
                messages.info(request, _("This count was already recorded (sent twice)."))
            return redirect("volunteers:organize_shift", shift_id=assignment.shift_id)
    return render(
        request,
        "donations/organize/cash_count.html",
        {
            "event": event,
            "assignment": assignment,
            "form": form,
            "current": current,
            "history": CashCount.objects.filter(assignment=assignment).select_related(
                "counted_by", "witnessed_by", "donation"
            ),
        },
    )


@organizer_view(user_can_handle_money, load=event_by_slug)
@require_http_methods(["GET", "POST"])
def check_new(request: HttpRequest, event: Event) -> HttpResponse:
    form = CheckForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _check, created = services.check_record(
                event=event,
                amount_cents=data["amount"],
                donor_name=data["donor_name"],
                check_number=data["check_number"],
                donor_email=data["donor_email"],
                designated_to=data["designation"],
                by=signed_in_user(request),
                now=timezone.now(),
                submission_token=data["submission_token"],
                repeated_number_confirmed=data["repeated_number_confirmed"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            if getattr(error, "code", "") == "repeated_number":
                form.repeated_number_ask()
        else:
            if created:
                messages.success(request, _("Check recorded."))
            else:
                messages.info(request, _("This check was already recorded (sent twice)."))
            return redirect("donations:organize_list", slug=event.slug)
    return render(request, "donations/organize/check.html", {"event": event, "form": form})


LABEL_PAPERS = ("letter", "a4")  # US Letter first: the default
LABELS_PER_SHEET = 6  # two across, three down, on either paper


@organizer_view(user_can_handle_money, load=event_by_slug)
@require_GET
def bucket_labels(request: HttpRequest, event: Event) -> HttpResponse:
    """A printable sheet: six labels a page (A4 or US Letter, ?paper=), each with the bucket's QR
    code (SVG), its label, the pledge day and the short URL, and "Scan to give"."""
    paper = request.GET.get("paper", "")
    if paper not in LABEL_PAPERS:
        paper = LABEL_PAPERS[0]
    labels = []
    for bucket in event.buckets.order_by("label"):
        url = request.build_absolute_uri(reverse("donations:give_bucket", args=[bucket.token]))
        title = local_text(bucket, "label")
        svg = segno.make(url, error="m").svg_inline(omitsize=True, title=title)
        labels.append(
            {
                "bucket": bucket,
                "label": title,
                "url": url,
                "short_url": url.split("://", 1)[-1],
                "svg": mark_safe(svg),  # noqa: S308 (segno output; the title is escaped by segno)
            }
        )
    sheets = [
        labels[start : start + LABELS_PER_SHEET]
        for start in range(0, len(labels), LABELS_PER_SHEET)
    ]
    return render(
        request,
        "donations/organize/labels.html",
        {
            "event": event,
            "sheets": sheets,
            "count": len(labels),
            "paper": paper,
            "papers": LABEL_PAPERS,
        },
    )
