"""The organizers' log of the notices a pledge day sent (who, what, when, channel, status); the
unsubscribe link (no sign-in); the text provider's webhook for replies such as STOP."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from twilio.request_validator import RequestValidator

from events.models import Event
from events.permissions import event_by_slug, organizer_view, user_can_organize_event
from notices import broadcasts, preferences
from notices.forms import BroadcastForm
from notices.models import Broadcast, Notice, Subscription
from volunteers.auth import signed_in_user
from volunteers.models import User


@organizer_view(user_can_organize_event, load=event_by_slug)
@require_http_methods(["GET", "POST"])
def messages_page(request: HttpRequest, event: Event) -> HttpResponse:
    """/organize/<slug>/messages/: write to the volunteers of a shift, a corner or the day;
    the messages sent so far, with how many copies went out."""
    form = BroadcastForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            broadcast = broadcasts.broadcast_create(
                event=event,
                author=signed_in_user(request),
                now=timezone.now(),
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                ngettext(
                    "Your message is on its way to %(count)s volunteer.",
                    "Your message is on its way to %(count)s volunteers.",
                    broadcast.recipients,
                )
                % {"count": broadcast.recipients},
            )
            return redirect("notices:messages", slug=event.slug)
    sent = list(
        Broadcast.objects.filter(event=event).select_related("author", "shift__corner", "corner")[
            :50
        ]
    )
    return render(
        request,
        "notices/messages.html",
        {
            "event": event,
            "form": form,
            "sent": [(b, progress) for b, progress in zip(sent, _progress(sent), strict=True)],
            "hourly_limit": broadcasts.HOURLY_LIMIT,
        },
    )


def _receipts(event: Event) -> list[tuple[object, int]]:
    """Donor receipts go out from their own outbox, the gift's row (donations.services.receipts),
    on the same design: counted here by state, without the donors (finance sees those)."""
    from donations.models import Donation
    from donations.selectors import event_receipt_counts

    counts = event_receipt_counts(event=event)
    return [
        (label, counts[value]) for value, label in Donation.ReceiptStatus.choices if value in counts
    ]


def _progress(sent: list[Broadcast]) -> list[list[tuple[object, int]]]:
    """Each message's copies by status, as (label, count), in the statuses' order."""
    counts = broadcasts.broadcast_progress(sent)
    return [
        [
            (label, counts[b.pk][value])
            for value, label in Notice.Status.choices
            if value in counts[b.pk]
        ]
        for b in sent
    ]


@organizer_view(user_can_organize_event, load=event_by_slug)
@require_GET
def log(request: HttpRequest, event: Event) -> HttpResponse:
    """/organize/<slug>/notices/: newest first, 100 a page, filtered by status if asked."""
    notices = Notice.objects.filter(event=event).select_related(
        "user", "signup__shift__corner", "shift__corner", "broadcast"
    )
    status = request.GET.get("status", "")
    if status in Notice.Status.values:
        notices = notices.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in Notice.Kind.values:
        notices = notices.filter(kind=kind)
    # Newest first by the time shown: when it went, or when it is due.
    notices = notices.annotate(shown_at=Coalesce("sent_at", "due_at"))
    page = Paginator(notices.order_by("-shown_at", "-pk"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/log.html",
        {
            "event": event,
            "page": page,
            "receipts": _receipts(event),
            "status": status,
            "statuses": Notice.Status.choices,
            "kind": kind,
            "kinds": Notice.Kind.choices,
        },
    )


# The token in the address is the authority (a signed user and topic), so the POST needs no CSRF
# token: mail programs send RFC 8058's one-click POST ("List-Unsubscribe=One-Click") without one.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """/notices/unsubscribe/<token>/: GET asks (a link checker or a mail scanner opening it
    changes nothing); POST unsubscribes, or subscribes again with `again`."""
    found = preferences.unsubscribe_token_read(token)
    if found is None:
        return render(request, "notices/unsubscribe.html", {"invalid": True}, status=404)
    user_id, topic = found
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        return render(request, "notices/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        again = request.POST.get("again") == "1"
        preferences.subscription_set(
            user_id=user_id, topic=topic, subscribed=again, how="link", now=timezone.now()
        )
    # The page in the language of the email, for this response only.
    with translation.override(person.preferred_language):
        request.LANGUAGE_CODE = person.preferred_language
        response = render(
            request,
            "notices/unsubscribe.html",
            {
                "topic": Subscription.Topic(topic),
                "subscribed": preferences.subscribed(user_id, topic),
                "done": request.method == "POST",
            },
        )
    return response


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """Twilio's webhook for a reply to our number, checked by its signature (X-Twilio-Signature
    over the address and the form, with the account's auth token). STOP and its synonyms
    (Twilio's, and Spanish ALTO and PARAR) end every consent for that number; Twilio itself then
    blocks further texts to it. Answers with empty TwiML: Twilio sends its own STOP and HELP
    replies."""
    if not settings.TWILIO_AUTH_TOKEN:
        raise Http404
    url = settings.SITE_URL + reverse("notices:sms_inbound")
    signature = request.headers.get("X-Twilio-Signature", "")
    form = {key: request.POST.get(key, "") for key in request.POST}
    if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, form, signature):
        return HttpResponse(status=403)
    preferences.text_reply_receive(
        phone=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
        opt_out_type=request.POST.get("OptOutType", ""),
        now=timezone.now(),
    )
    return HttpResponse("<Response/>", content_type="text/xml")
