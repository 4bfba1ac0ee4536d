"""Organizer pages of the money path: gifts and refunds, cash counts, checks, bucket labels."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from donations import selectors, services
from donations.forms import CashCountForm, CheckForm, RefundForm
from donations.models import CashCount, Donation
from events.models import Event
from events.permissions import MONEY_ROLES, user_can_handle_money
from volunteers.auth import signed_in_user
from volunteers.models import BucketAssignment, User


def _organized_event(request: HttpRequest, event: Event) -> Event:
    if not user_can_handle_money(request.user, event):
        raise PermissionDenied
    return event


@login_required
@require_GET
def donation_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = _organized_event(request, get_object_or_404(Event, slug=slug))
    return render(
        request,
        "donations/organize/list.html",
        {
            "event": event,
            "donations": selectors.event_donations(event=event)[:200],
            "totals": selectors.event_totals(event=event),
            "refund_form": RefundForm(),
        },
    )


@login_required
@require_POST
def donation_refund(request: HttpRequest, donation_id: int) -> HttpResponse:
    donation = get_object_or_404(Donation.objects.select_related("event"), pk=donation_id)
    event = _organized_event(request, donation.event)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            services.donation_refund(
                donation=donation,
                amount_cents=form.cleaned_data["amount"],
                refunded_seen=form.cleaned_data["refunded_seen"],
                now=timezone.now(),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Refund sent to Stripe."))
    return redirect("donations:organize_list", slug=event.slug)


def _counting_people(assignment: BucketAssignment, event: Event) -> QuerySet[User]:
    """Who can co-sign a count: the event's organizers and the volunteers who held the bucket."""
    organizers = User.objects.filter(
        Q(memberships__event=event) | Q(memberships__organization_id=event.fiscal_host_id),
        memberships__role__in=MONEY_ROLES,
    )
    return (organizers | User.objects.filter(pk__in=assignment.holders.all())).distinct()


@login_required
@require_http_methods(["GET", "POST"])
def cash_count(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(
        BucketAssignment.objects.select_related("bucket__event", "shift__corner"), pk=assignment_id
    )
    event = _organized_event(request, assignment.bucket.event)
    people = _counting_people(assignment, event).exclude(pk=signed_in_user(request).pk)
    current = CashCount.objects.filter(assignment=assignment, corrected_by__isnull=True).first()
    form = CashCountForm(
        request.POST or None, people=people, initial={"corrects": current.pk if current else None}
    )
    if request.method == "POST" and form.is_valid():
        shown = form.cleaned_data["corrects"]
        try:
            services.cash_count_record(
                assignment=assignment,
                amount_cents=form.cleaned_data["amount"],
                counted_by=signed_in_user(request),
                witnessed_by=form.cleaned_data["witnessed_by"],
                corrects=CashCount.objects.filter(pk=shown, assignment=assignment).first()
                if shown
                else None,
                note=form.cleaned_data["note"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Count recorded."))
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
                "counted_by", "witnessed_by"
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_new(request: HttpRequest, slug: str) -> HttpResponse:
    event = _organized_event(request, get_object_or_404(Event, slug=slug))
    form = CheckForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.check_record(
                event=event,
                amount_cents=data["amount"],
                donor_name=data["donor_name"],
                check_number=data["check_number"],
                donor_email=data["donor_email"],
                designated_to=data["designation"],
                by=signed_in_user(request),
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Check recorded."))
            return redirect("donations:organize_list", slug=event.slug)
    return render(
        request,
        "volunteers/organize/form.html",
        {"event": event, "form": form, "title": _("Record a check")},
    )


@login_required
@require_GET
def bucket_labels(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable sheet: each bucket's QR code (SVG), short URL and "Scan to give"."""
    event = _organized_event(request, get_object_or_404(Event, slug=slug))
    labels = []
    for bucket in event.buckets.order_by("label"):
        url = request.build_absolute_uri(reverse("donations:give_bucket", args=[bucket.token]))
        svg = segno.make(url, error="m").svg_inline(scale=5, title=bucket.label)
        labels.append({"bucket": bucket, "url": url, "svg": mark_safe(svg)})  # noqa: S308 (segno output)
    return render(request, "donations/organize/labels.html", {"event": event, "labels": labels})
