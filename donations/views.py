"""Donor pages (the give page from a bucket's QR code, the demo payment page, thank-you) and the
Stripe webhook. The give page loads no third-party script: Stripe is reached only after Give."""

from __future__ import annotations

import json
import logging
import re

import stripe
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from donations import ratelimit, selectors, services, stripe_api
from donations.forms import GiveForm
from donations.models import Donation
from donations.selectors_give import BucketOut, bucket_out_status, give_figures
from donations.selectors_live import give_page_match_notes
from donations.totals import TOTALS_CACHE_SECONDS, event_public_totals_by_slug
from events import alerts
from events import selectors as event_selectors
from events.models import Bucket, Event
from events.money import fee_cover_cents
from volunteers import selectors as volunteer_selectors

logger = logging.getLogger(__name__)


# A volunteer's personal give code (volunteers.models.give_token_new): anything else credits no one.
GIVE_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,32}")


def _give(
    request: HttpRequest,
    event: Event,
    attribution: services.Attribution,
    bucket_out: BucketOut | None = None,
) -> HttpResponse:
    if event.status not in services.OPEN_FOR_GIFTS:
        return _ended(request, event)
    form = GiveForm(request.POST or None, event=event)
    limited = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        thanks = request.build_absolute_uri(reverse("donations:thanks", args=["TOKEN"]))
        give_again = request.build_absolute_uri(request.get_full_path())
        if not ratelimit.donation_start_allowed(request, event_id=event.pk):
            form.add_error(
                None,
                _(
                    "Too many gifts were started from here in a short time. "
                    "Please wait a few minutes."
                ),
            )
            limited = True
        else:
            try:
                start = services.donation_start(
                    event=event,
                    amount_cents=data["amount_cents"],
                    cover_fee=data["cover_fee"],
                    designated_to=data["designation"],
                    split_among=list(data["split_among"]),
                    attribution=attribution,
                    donor_name=data["donor_name"],
                    donor_email=data["donor_email"],
                    anonymous=data["anonymous"],
                    language=translation.get_language() or "en",
                    now=timezone.now(),
                    success_url=thanks.replace("TOKEN", "{token}"),
                    cancel_url=give_again,
                    demo_pay_url=request.build_absolute_uri(
                        reverse("donations:demo_pay", args=["TOKEN"])
                    ).replace("TOKEN", "{token}"),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return HttpResponseRedirect(start.redirect_url, status=303)
    example = event.suggested_amounts_cents[1] if len(event.suggested_amounts_cents) > 1 else 2500
    return render(
        request,
        "donations/give.html",
        {
            "event": event,
            "form": form,
            "attribution": attribution,
            "bucket_out": bucket_out,
            # The form's own reading of the amount (None while it is missing or refused).
            "figures": give_figures(
                event=event,
                amount_cents=getattr(form, "cleaned_data", {}).get("amount_cents"),
                cover_fee=bool(getattr(form, "cleaned_data", {}).get("cover_fee")),
            ),
            "fee_example": (
                example,
                fee_cover_cents(
                    example, fee_bp=event.card_fee_bp, fixed_cents=event.card_fee_fixed_cents
                ),
            ),
            "demo": stripe_api.is_local(),
            "matches": give_page_match_notes(
                event=event, corner=attribution.corner, now=timezone.now()
            ),
        },
        status=429 if limited else (200 if request.method == "GET" or not form.errors else 400),
    )


def _giving_event(event: Event) -> Event:
    if event.status == Event.Status.DRAFT:
        raise Http404
    return event


def _ended(request: HttpRequest, event: Event) -> HttpResponse:
    """A bucket or give link of a pledge day that is over: where to help now, not an error."""
    partners = event.partners.select_related("organization").order_by("organization__name")
    return render(
        request, "donations/ended.html", {"event": event, "partners": partners}, status=410
    )


@require_http_methods(["GET", "POST"])
def give_bucket(request: HttpRequest, token: str) -> HttpResponse:
    """/g/<token>: the QR code on a bucket; the gift is credited to its corner, shift and pair."""
    # The path converter lets only a well-formed token through, already in lowercase.
    bucket = Bucket.objects.select_related("event").filter(token=token).first()
    if bucket is None:
        raise Http404
    event = _giving_event(bucket.event)
    if event.status not in services.OPEN_FOR_GIFTS:
        return _ended(request, event)
    status = bucket_out_status(bucket=bucket, now=timezone.now())
    if request.method == "GET" and not status.is_out:
        # A bucket that is not out may be in the wrong hands: the donor is cautioned and sent
        # to the event's own give page. A gift posted from a page opened while the bucket was
        # out still goes through (to its latest hand-out).
        return render(
            request, "donations/bucket_caution.html", {"event": event, "bucket_out": status}
        )
    # One read of the hand-out: the page's status line and the gift's attribution.
    attribution = services.attribution_for_hand_out(bucket, status.assignment)
    return _give(request, event, attribution, status)


@require_http_methods(["GET", "POST"])
def give_event(request: HttpRequest, slug: str) -> HttpResponse:
    """The event's give page; ?v=<token> credits a volunteer's personal link."""
    event = event_selectors.event_public_get(slug=slug)
    if event is None:
        raise Http404
    attribution = services.Attribution()
    code = request.GET.get("v", "")
    profile = (
        volunteer_selectors.profile_by_give_token(code) if GIVE_TOKEN.fullmatch(code) else None
    )
    if profile is not None:
        attribution = services.Attribution(volunteers=[profile.user])
    return _give(request, _giving_event(event), attribution)


@require_http_methods(["GET", "POST"])
def demo_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The local gateway's payment page: clearly a demo; a Stripe test card pays localstripe."""
    if not stripe_api.is_local():
        raise Http404
    donation = get_object_or_404(Donation.objects.select_related("event"), public_token=token)
    error = ""
    if request.method == "POST" and donation.status == Donation.Status.PENDING:
        try:
            stripe_api.payment_intent_confirm_with_test_card(
                donation.stripe_payment_intent_id or ""
            )
        except stripe.StripeError as problem:
            logger.warning("demo payment failed for donation %s: %s", donation.pk, problem)
            error = str(problem.user_message or problem)
        else:
            return HttpResponseRedirect(reverse("donations:thanks", args=[token]), status=303)
    return render(
        request,
        "donations/demo_pay.html",
        {
            "donation": donation,
            "event": donation.event,
            "split_among": list(donation.split_among.order_by("name")),
            "error": error,
        },
    )


def thanks(request: HttpRequest, token: str) -> HttpResponse:
    donation = get_object_or_404(
        Donation.objects.select_related("event", "bucket"), public_token=token
    )
    under_review = donation.status == Donation.Status.PENDING and selectors.donation_under_review(
        donation=donation
    )
    event = donation.event
    return render(
        request,
        "donations/thanks.html",
        {
            "donation": donation,
            "event": event,
            "under_review": under_review,
            "give_again_url": _give_again_url(donation),
            "open_for_gifts": event.status in services.OPEN_FOR_GIFTS,
            "share_url": request.build_absolute_uri(reverse("events:detail", args=[event.slug])),
        },
    )


def _give_again_url(donation: Donation) -> str:
    """Back to where the donor gave: the same bucket's page, else the event's give page (through
    the same volunteer's personal link, when the gift came from one)."""
    if donation.bucket is not None:
        return reverse("donations:give_bucket", args=[donation.bucket.token])
    url = reverse("donations:give_event", args=[donation.event.slug])
    if donation.corner_id is None:
        volunteers = list(donation.volunteers.select_related("volunteer_profile")[:2])
        if len(volunteers) == 1 and hasattr(volunteers[0], "volunteer_profile"):
            return f"{url}?v={volunteers[0].volunteer_profile.give_token}"
    return url


@require_GET
def event_totals_json(request: HttpRequest, slug: str) -> HttpResponse:
    """GET /events/<slug>/totals.json: the pledge day's public figures (total, goal, per partner,
    per corner, matching pledges, updated_at), with an ETag (304 to a matching If-None-Match) and
    a few seconds of Cache-Control. Documented in docs/ARCHITECTURE.md ("Live totals")."""
    totals = event_public_totals_by_slug(slug=slug)
    if totals is None:
        raise Http404
    headers = {
        "ETag": totals.etag,
        "Cache-Control": f"public, max-age={TOTALS_CACHE_SECONDS}",
        "Vary": "Accept-Encoding",
    }
    if totals.etag in (tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")):
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(totals.body, content_type="application/json", headers=headers)


def _no_constant(name: str) -> None:
    """JSON has no NaN or Infinity; Python's parser accepts them, the database would not."""
    raise ValueError(f"{name} is not JSON")


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: verified, stored once, applied (or parked for a person).

    400 for what Stripe must not send again (a bad signature, a body we cannot read or store);
    503 for what may work on Stripe's retry (the database or Stripe's API unreachable); 500,
    with an alert, for a broken invariant of the money path (retried until someone fixes it).
    """
    signature = request.META.get("HTTP_STRIPE_SIGNATURE", "")
    try:
        stripe_api.signature_verify(request.body, signature)
        payload = json.loads(request.body, parse_constant=_no_constant)
    except (ValueError, stripe.SignatureVerificationError):  # UnicodeDecodeError is a ValueError
        return HttpResponse("invalid payload or signature", status=400, content_type="text/plain")
    now = timezone.now()
    try:
        record = services.stripe_event_record(payload=payload, now=now)
        if record is None:
            return HttpResponse("duplicate", content_type="text/plain")
        outcome = services.stripe_event_process(record=record, now=now)
    except services.MalformedEvent as problem:
        logger.warning("Stripe event refused as malformed: %s", problem)
        return HttpResponse(f"malformed event: {problem}", status=400, content_type="text/plain")
    except DataError:
        logger.exception("Stripe event %s cannot be stored", payload.get("id"))
        return HttpResponse("event cannot be stored", status=400, content_type="text/plain")
    except (services.MoneyInvariantError, IntegrityError) as broken:
        alerts.alert(
            subject="A Stripe event broke an invariant of the money path",
            detail=f"event {payload.get('id')} ({payload.get('type')}): {broken!r}",
        )
        logger.exception("Stripe event %s broke an invariant", payload.get("id"))
        return HttpResponse("internal error", status=500, content_type="text/plain")
    except (DatabaseError, stripe.StripeError):
        logger.exception("Stripe event %s could not be stored or applied", payload.get("id"))
        return HttpResponse("try again", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")
