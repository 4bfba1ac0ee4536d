"""Closing a pledge day and paying its partners (organizer pages), and each partner's own page
and statement. Organizer pages go through events.permissions.organizer_view; partner pages
through partner_view."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from donations import exports as csv_files
from donations import selectors as donation_selectors
from donations import stripe_api
from donations.forms import CashCountForm
from donations.models import CashCount
from donations.views_organize import assignment_by_id
from events.models import Event, Organization
from events.permissions import (
    event_by_slug,
    organizer_view,
    partner_view,
    user_can_connect_stripe,
    user_can_lead_event,
    user_can_manage_finances,
)
from payouts import exports, selectors, services
from payouts.forms import GrantPaidForm, PayoutNoteForm
from payouts.models import Payout, PayoutRun
from volunteers.auth import signed_in_user
from volunteers.models import BucketAssignment

# --- Loaders ---------------------------------------------------------------------------------


def run_by_id(run_id: int) -> tuple[PayoutRun, Event]:
    run = PayoutRun.objects.select_related("event").filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run, run.event


def payout_by_id(payout_id: int) -> tuple[Payout, Event]:
    payout = Payout.objects.select_related("event", "run").filter(pk=payout_id).first()
    if payout is None:
        raise Http404
    return payout, payout.event


def organization_by_slug(organization_slug: str) -> tuple[Organization, None]:
    organization = Organization.objects.filter(slug=organization_slug).first()
    if organization is None:
        raise Http404
    return organization, None


def partnership(organization_slug: str, slug: str) -> tuple[Organization, Event]:
    organization = Organization.objects.filter(slug=organization_slug).first()
    event = (
        Event.objects.filter(slug=slug, partners__organization=organization)
        .exclude(status=Event.Status.DRAFT)
        .first()
    )
    if organization is None or event is None:
        raise Http404
    return organization, event


def _to_payouts(event: Event) -> HttpResponse:
    return redirect("payouts:day", slug=event.slug)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Closing and the payouts of a day ---------------------------------------------------------


@organizer_view(user_can_manage_finances, load=event_by_slug)
@require_GET
def day(request: HttpRequest, event: Event) -> HttpResponse:
    """/organize/<slug>/payouts/: closing, each partner's arithmetic, the runs, the audit trail."""
    return render(
        request,
        "payouts/day.html",
        {
            "event": event,
            "day": selectors.day_payouts(event),
            "can_close": user_can_lead_event(request.user, event),
            "grant_methods": Payout.GrantMethod.choices,
            "connect_available": stripe_api.connect_available(),
        },
    )


@organizer_view(user_can_lead_event, load=event_by_slug)
@require_POST
def close(request: HttpRequest, event: Event) -> HttpResponse:
    if request.POST.get("confirm") != event.slug:
        messages.error(request, _("Type the pledge day's short name to confirm closing it."))
        return _to_payouts(event)
    try:
        services.event_close(event=event, by=signed_in_user(request), now=timezone.now())
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("The pledge day is closed. The payouts are being computed; refresh in a moment."),
        )
    return _to_payouts(event)


@organizer_view(user_can_manage_finances, load=event_by_slug)
@require_POST
def compute(request: HttpRequest, event: Event) -> HttpResponse:
    """Finance computes a follow-up now (also when only a refused transfer or a negative waits)."""
    try:
        run = services.payouts_compute(
            event_id=event.pk, by=signed_in_user(request), now=timezone.now(), force=True
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        if run is None:
            messages.info(request, _("Nothing changed since the last payouts."))
        else:
            messages.success(request, _("Payout run %(n)s computed.") % {"n": run.number})
    return _to_payouts(event)


@organizer_view(user_can_manage_finances, load=run_by_id)
@require_POST
def approve(request: HttpRequest, run: PayoutRun) -> HttpResponse:
    try:
        services.payouts_approve(run=run, by=signed_in_user(request), now=timezone.now())
    except services.PayoutRefused as refused:
        messages.error(
            request,
            _("Not approved: the ledger and Stripe differ (%(count)s gifts). %(gifts)s")
            % {
                "count": len(refused.comparison.differences),
                "gifts": " ".join(
                    f"#{d.donation_id or '—'} {d.payment_intent_id}: {d.what}"
                    for d in refused.comparison.differences[:20]
                ),
            },
        )
    except stripe_api.TRANSIENT_ERRORS:
        messages.error(request, _("Stripe could not be reached to check the ledger; try again."))
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Approved. Transfers are on their way; pay the grants."))
    return _to_payouts(run.event)


@organizer_view(user_can_manage_finances, load=payout_by_id)
@require_POST
def grant_paid(request: HttpRequest, payout: Payout) -> HttpResponse:
    form = GrantPaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the date, how it was paid and the reference."))
        return _to_payouts(payout.event)
    try:
        services.payout_grant_paid(
            payout=payout,
            by=signed_in_user(request),
            paid_on=form.cleaned_data["paid_on"],
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
            now=timezone.now(),
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Recorded as paid."))
    return _to_payouts(payout.event)


@organizer_view(user_can_manage_finances, load=payout_by_id)
@require_POST
def note(request: HttpRequest, payout: Payout, action: str) -> HttpResponse:
    if action not in ("correction", "recovered"):
        raise Http404
    form = PayoutNoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say what happened."))
        services.payout_note(
            payout=payout,
            by=signed_in_user(request),
            note=form.cleaned_data["note"],
            recovered=action == "recovered",
            now=timezone.now(),
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Recorded."))
    return _to_payouts(payout.event)


@organizer_view(user_can_manage_finances, load=run_by_id)
@require_GET
def grant_report(request: HttpRequest, run: PayoutRun) -> HttpResponse:
    """The grant disbursement report of a run, to print (or save as PDF from the browser)."""
    lines = run.payouts.filter(method=Payout.Method.GRANT).select_related("organization", "paid_by")
    return render(
        request,
        "payouts/grant_report.html",
        {
            "event": run.event,
            "run": run,
            "lines": lines,
            "total": sum(line.amount_cents for line in lines),
            "printed_at": timezone.now(),
        },
    )


@organizer_view(user_can_manage_finances, load=run_by_id)
@require_GET
def grant_csv(request: HttpRequest, run: PayoutRun) -> StreamingHttpResponse:
    return csv_files.csv_response(
        f"{run.event.slug}-grants-run{run.number}-{csv_files.file_stamp(run.event)}.csv",
        exports.GRANT_HEADER,
        exports.grant_rows(run),
    )


@organizer_view(user_can_manage_finances, load=event_by_slug)
@require_GET
def payouts_csv(request: HttpRequest, event: Event) -> StreamingHttpResponse:
    return csv_files.csv_response(
        f"{event.slug}-payouts-{csv_files.file_stamp(event)}.csv",
        exports.PAYOUT_HEADER,
        exports.payout_rows(event),
    )


@organizer_view(user_can_manage_finances, load=assignment_by_id)
@require_http_methods(["GET", "POST"])
def late_count(request: HttpRequest, assignment: BucketAssignment) -> HttpResponse:
    """A bucket's count changed after the day closed (finance, with a reason, audited)."""
    event = assignment.bucket.event
    if event.status != Event.Status.CLOSED:
        return redirect("donations:cash_count", assignment_id=assignment.pk)
    me = signed_in_user(request)
    current = CashCount.objects.filter(assignment=assignment, corrected_by__isnull=True).first()
    form = CashCountForm(
        request.POST or None,
        event=event,
        people=donation_selectors.counting_people(assignment, event).exclude(pk=me.pk),
        initial={"corrects": current.pk if current else None},
    )
    form.fields["note"].required = True
    form.fields["note"].label = _("Why it changes after closing")
    if request.method == "POST" and form.is_valid():
        shown = form.cleaned_data["corrects"]
        try:
            services.cash_count_late(
                assignment=assignment,
                amount_cents=form.cleaned_data["amount"],
                counted_by=me,
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
            messages.success(
                request, _("Recorded after closing; a follow-up payout is being computed.")
            )
            return _to_payouts(event)
    return render(
        request,
        "donations/organize/cash_count.html",
        {
            "event": event,
            "assignment": assignment,
            "form": form,
            "current": current,
            "late": True,
            "history": CashCount.objects.filter(assignment=assignment).select_related(
                "counted_by", "witnessed_by", "donation"
            ),
        },
    )


# --- A partner's own pages -------------------------------------------------------------------


@partner_view(load=organization_by_slug)
@require_GET
def organization_page(
    request: HttpRequest, organization: Organization, _event: None
) -> HttpResponse:
    return render(
        request,
        "payouts/organization.html",
        {
            "organization": organization,
            "events": selectors.partner_events(organization),
            "may_connect": user_can_connect_stripe(request.user, organization),
            "connect_available": stripe_api.connect_available(),
        },
    )


@partner_view(load=organization_by_slug)
@require_POST
def connect(request: HttpRequest, organization: Organization, _event: None) -> HttpResponse:
    if not user_can_connect_stripe(request.user, organization):
        raise Http404
    back = request.build_absolute_uri(
        reverse("payouts:connect_return", kwargs={"organization_slug": organization.slug})
    )
    again = request.build_absolute_uri(
        reverse("payouts:organization", kwargs={"organization_slug": organization.slug})
    )
    try:
        url = services.organization_connect_start(
            organization=organization,
            by=signed_in_user(request),
            email=signed_in_user(request).email,
            refresh_url=again,
            return_url=back,
            now=timezone.now(),
        )
    except ValidationError as error:
        _refused(request, error)
    except stripe_api.TRANSIENT_ERRORS:
        messages.error(request, _("Stripe could not be reached; try again in a moment."))
    else:
        return redirect(url)
    return redirect("payouts:organization", organization_slug=organization.slug)


@partner_view(load=organization_by_slug)
@require_GET
def connect_return(request: HttpRequest, organization: Organization, _event: None) -> HttpResponse:
    """Stripe's onboarding sends the partner back here: ask Stripe where the account stands."""
    try:
        state = services.organization_connect_refresh(organization=organization, now=timezone.now())
    except stripe_api.TRANSIENT_ERRORS:
        messages.error(request, _("Stripe could not be reached; the state will be checked later."))
    else:
        if state == Organization.StripeState.READY:
            messages.success(request, _("Your Stripe account is ready: payouts arrive there."))
        else:
            messages.info(
                request, _("Stripe is still reviewing your account, or needs more details.")
            )
    return redirect("payouts:organization", organization_slug=organization.slug)


@partner_view(load=partnership)
@require_GET
def statement(request: HttpRequest, organization: Organization, event: Event) -> HttpResponse:
    """A partner's statement for a pledge day: the arithmetic of its payout, its payouts, and
    its share of each gift (100 a page; the CSV has them all)."""
    owed = selectors.owed_cached(event)
    page = Paginator(
        exports.statement_queryset(event, organization).select_related("donation__corner"), 100
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payouts/statement.html",
        {
            "organization": organization,
            "event": event,
            "share": owed.share(organization.pk),
            "lines": selectors.partner_lines(event, organization),
            "page": page,
        },
    )


@partner_view(load=partnership)
@require_GET
def statement_csv(
    request: HttpRequest, organization: Organization, event: Event
) -> StreamingHttpResponse:
    return csv_files.csv_response(
        f"{event.slug}-{organization.slug}-statement-{csv_files.file_stamp(event)}.csv",
        exports.STATEMENT_HEADER,
        exports.statement_rows(event, organization),
    )
