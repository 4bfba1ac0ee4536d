"""Organizer pages of the volunteer side: dashboard, rosters, the staging table, shift planning.

Every view goes through events.permissions.organizer_view: only people who organize the event
reach these pages; contact details of volunteers appear nowhere else. The loaders below read the
object a URL names together with its pledge day in one query, and answer 404 when there is none.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from events import services as event_services
from events.models import Bucket, Event, Shift
from events.permissions import event_by_slug, organizer_view, user_can_organize_event
from events.text import local_text
from volunteers import selectors, services
from volunteers.auth import signed_in_user
from volunteers.forms import (
    BulkShiftsForm,
    CopyShiftsForm,
    HandOutForm,
    ShiftCancelForm,
    ShiftCapacityForm,
)
from volunteers.models import ACTIVE_SIGNUP_STATUSES, BucketAssignment, Signup
from volunteers.services.staging import shift_is_today

# --- Loaders: the object a URL names, and its pledge day (404 when there is none) -----------


def shift_by_id(shift_id: int) -> tuple[Shift, Event]:
    shift = Shift.objects.select_related("corner__event").filter(pk=shift_id).first()
    if shift is None:
        raise Http404
    return shift, shift.corner.event


def signup_by_id(signup_id: int) -> tuple[Signup, Event]:
    signup = (
        Signup.objects.select_related("user", "shift__corner__event").filter(pk=signup_id).first()
    )
    if signup is None:
        raise Http404
    return signup, signup.shift.corner.event


def bucket_assignment_by_id(assignment_id: int) -> tuple[BucketAssignment, Event]:
    assignment = (
        BucketAssignment.objects.select_related("bucket", "shift__corner__event")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment, assignment.shift.corner.event


@organizer_view(user_can_organize_event, load=event_by_slug)
@require_GET
def dashboard(request: HttpRequest, event: Event) -> HttpResponse:
    shifts = selectors.event_dashboard_shifts(event=event)
    return render(
        request,
        "volunteers/organize/dashboard.html",
        {
            "event": event,
            "shifts": shifts,
            "understaffed": sum(1 for s in shifts if not s.is_staffed and not s.cancelled_at),
            "pool": selectors.event_pool_waiting(event=event),
            "auto_assign": selectors.event_latest_auto_assign_run(event=event, now=timezone.now()),
        },
    )


@organizer_view(user_can_organize_event, load=event_by_slug)
@require_POST
def auto_assign(request: HttpRequest, event: Event) -> HttpResponse:
    """Queue an auto-assign of the pool; the dashboard shows its result when it has run."""
    try:
        services.auto_assign_run_create(
            event=event, requested_by=signed_in_user(request), now=timezone.now()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Auto-assign has started; its result appears on this page in a moment.")
        )
    return redirect("volunteers:organize", slug=event.slug)


def _shift_planning(
    request: HttpRequest,
    event: Event,
    form: BulkShiftsForm | CopyShiftsForm,
    create: Callable[..., list[Shift]],
    title: str,
) -> HttpResponse:
    """Both shift-planning pages: validate the form, call the service, report how many."""
    if request.method == "POST" and form.is_valid():
        try:
            created = create(**form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                ngettext("%(count)s shift created.", "%(count)s shifts created.", len(created))
                % {"count": len(created)},
            )
            return redirect("volunteers:organize", slug=event.slug)
    return render(
        request, "volunteers/organize/form.html", {"event": event, "form": form, "title": title}
    )


@organizer_view(user_can_organize_event, load=event_by_slug)
@require_http_methods(["GET", "POST"])
def shifts_bulk(request: HttpRequest, event: Event) -> HttpResponse:
    initial = {
        "day": event.starts_at.astimezone(event.tzinfo).date(),
        "first_start": "07:00",
        "last_end": "19:00",
        "length_hours": 3,
        "capacity": 4,
        "min_volunteers": 2,
    }
    form = BulkShiftsForm(request.POST or None, event=event, initial=initial)
    return _shift_planning(
        request, event, form, event_services.shifts_bulk_create, _("Create shifts for a corner")
    )


@organizer_view(user_can_organize_event, load=event_by_slug)
@require_http_methods(["GET", "POST"])
def shifts_copy(request: HttpRequest, event: Event) -> HttpResponse:
    form = CopyShiftsForm(request.POST or None, event=event)
    return _shift_planning(
        request, event, form, event_services.corner_shifts_copy, _("Copy a corner's shifts")
    )


def _roster_page(
    request: HttpRequest, shift: Shift, *, second_bucket: Bucket | None = None, out: str = ""
) -> HttpResponse:
    """The roster and the staging table of one shift, made for a phone. With `second_bucket`,
    the page asks the organizer to confirm handing out a second bucket to the shift."""
    event = shift.corner.event
    now = timezone.now()
    assignments = list(
        selectors.shift_bucket_assignments(shift=shift).annotate(
            # the amount of the count in force (a correction replaces the count it corrects),
            # and how many counts there were; through the reverse name: no donations import
            counted_cents=Sum(
                "cash_counts__amount_cents", filter=Q(cash_counts__corrected_by__isnull=True)
            ),
            counts=Count("cash_counts"),
        )
    )
    return render(
        request,
        "volunteers/organize/shift.html",
        {
            "event": event,
            "shift": shift,
            "roster": selectors.shift_roster(shift=shift),
            "assignments": assignments,
            "bucket_is_out": any(a.returned_at is None for a in assignments),
            "hand_out": HandOutForm(buckets=selectors.event_buckets_available(event=event)),
            "started": now >= shift.starts_at,
            "check_in_today": shift_is_today(shift, now),
            "second_bucket": second_bucket,
            "bucket_out": out,
        },
    )


@organizer_view(user_can_organize_event, load=shift_by_id)
@require_GET
def shift_roster(request: HttpRequest, shift: Shift) -> HttpResponse:
    return _roster_page(request, shift)


@organizer_view(user_can_organize_event, load=shift_by_id)
@require_http_methods(["GET", "POST"])
def shift_cancel(request: HttpRequest, shift: Shift) -> HttpResponse:
    """Cancel a shift: everyone on it (and waiting for it) is told, with the reason."""
    form = ShiftCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = services.shift_cancel(
                shift=shift, reason=form.cleaned_data["reason"], now=timezone.now()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The shift is cancelled.")
                if not cancelled
                else ngettext(
                    "The shift is cancelled; %(count)s volunteer is told why.",
                    "The shift is cancelled; %(count)s volunteers are told why.",
                    len(cancelled),
                )
                % {"count": len(cancelled)},
            )
            return redirect("volunteers:organize_shift", shift_id=shift.pk)
    people = Signup.objects.filter(shift=shift, status__in=ACTIVE_SIGNUP_STATUSES).count()
    return render(
        request,
        "volunteers/organize/shift_cancel.html",
        {"shift": shift, "event": shift.corner.event, "form": form, "people": people},
    )


@organizer_view(user_can_organize_event, load=shift_by_id)
@require_http_methods(["GET", "POST"])
def shift_edit(request: HttpRequest, shift: Shift) -> HttpResponse:
    """Change a shift's times, capacity and buddy minimum; places a raise frees go to the
    waitlist; everyone on a shift that moves is told what changed."""
    event = shift.corner.event
    starts, ends = shift.starts_at.astimezone(event.tzinfo), shift.ends_at.astimezone(event.tzinfo)
    initial = {
        "day": starts.date(),
        "starts": starts.time(),
        "ends": ends.time(),
        "capacity": shift.capacity,
        "min_volunteers": shift.min_volunteers,
    }
    form = ShiftCapacityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.times(event.tzinfo, current=(shift.starts_at, shift.ends_at))
        try:
            saved, promoted = services.shift_update(
                shift=shift,
                capacity=form.cleaned_data["capacity"],
                min_volunteers=form.cleaned_data["min_volunteers"],
                starts_at=starts_at,
                ends_at=ends_at,
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The shift is saved."))
            if (saved.starts_at, saved.ends_at) != (shift.starts_at, shift.ends_at):
                messages.info(
                    request, _("Everyone signed up is told of the new time by email (and text).")
                )
            if promoted:
                messages.info(
                    request,
                    ngettext(
                        "%(count)s volunteer moved up from the waitlist and will be emailed.",
                        "%(count)s volunteers moved up from the waitlist and will be emailed.",
                        len(promoted),
                    )
                    % {"count": len(promoted)},
                )
            return redirect("volunteers:organize_shift", shift_id=shift.pk)
    return render(
        request,
        "volunteers/organize/shift_edit.html",
        {
            "event": shift.corner.event,
            "shift": shift,
            "form": form,
            "waitlisted": selectors.shift_waitlisted_count(shift=shift),
        },
    )


SIGNUP_ACTIONS: dict[str, Callable[[Signup], object]] = {
    "check-in": lambda s: services.signup_check_in(signup=s, now=timezone.now()),
    "check-out": lambda s: services.signup_check_out(signup=s, now=timezone.now()),
    "no-show": lambda s: services.signup_mark_no_show(signup=s, now=timezone.now()),
    "cancel": lambda s: services.signup_cancel(signup=s, now=timezone.now(), by_organizer=True),
}


@organizer_view(user_can_organize_event, load=signup_by_id)
@require_POST
def signup_action(request: HttpRequest, signup: Signup, action: str) -> HttpResponse:
    if action not in SIGNUP_ACTIONS:
        raise Http404
    try:
        SIGNUP_ACTIONS[action](signup)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{signup.user}: {_('done')}")
    return redirect("volunteers:organize_shift", shift_id=signup.shift_id)


@organizer_view(user_can_organize_event, load=shift_by_id)
@require_POST
def bucket_hand_out(request: HttpRequest, shift: Shift) -> HttpResponse:
    """Hand a bucket to the shift's checked-in pair. While one of the shift's buckets is out,
    a second needs the organizer's confirmation: the roster asks, and a second post confirms."""
    form = HandOutForm(
        request.POST, buckets=selectors.event_buckets_available(event=shift.corner.event)
    )
    if not form.is_valid():
        messages.error(request, _("Choose a bucket that is not already out."))
        return redirect("volunteers:organize_shift", shift_id=shift.pk)
    bucket = form.cleaned_data["bucket"]
    try:
        assignment = services.bucket_hand_out(
            bucket=bucket,
            shift=shift,
            by=signed_in_user(request),
            now=timezone.now(),
            confirm_second=request.POST.get("confirm_second") == "yes",
        )
    except ValidationError as error:
        if error.code == "second_bucket":
            return _roster_page(request, shift, second_bucket=bucket, out=" ".join(error.messages))
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Bucket %(label)s handed out.") % {"label": local_text(assignment.bucket, "label")},
        )
    return redirect("volunteers:organize_shift", shift_id=shift.pk)


@organizer_view(user_can_organize_event, load=bucket_assignment_by_id)
@require_POST
def bucket_return(request: HttpRequest, assignment: BucketAssignment) -> HttpResponse:
    services.bucket_return(assignment=assignment, by=signed_in_user(request), now=timezone.now())
    messages.success(
        request,
        _("Bucket %(label)s checked back in.") % {"label": local_text(assignment.bucket, "label")},
    )
    return redirect("volunteers:organize_shift", shift_id=assignment.shift_id)
