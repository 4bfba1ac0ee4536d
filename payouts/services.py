"""Closing a pledge day and paying its partners: the only writer of payouts and the audit trail.

- `event_close`: a lead closes the day (the beat closes it after its grace period); closing
  queues `payouts_compute`.
- `payouts_compute`: under the event's row lock, in one snapshot of the ledger, computes what
  each partner is owed (payouts.owed) and writes a run whose payouts are the differences from
  what earlier runs committed. Nothing changed: no run (so running the close again changes
  nothing). Gifts or refunds after a payout: a follow-up run, positive or negative.
- `payouts_approve`: finance approves a run once the ledger agrees with Stripe (payouts.check);
  transfers are then sent by `payouts_send`, grants are paid by hand and recorded.
- `payouts_send`: each transfer is claimed (a lease), looked up at Stripe by its payout id,
  else created with the idempotency key `payout-<event>-<organization>-<run>`; so a re-run, a
  retried task, two workers or a worker killed mid-run can never pay twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from donations import services as donation_services
from donations import stripe_api
from donations.models import CashCount
from donations.services.states import MoneyInvariantError
from events.alerts import alert
from events.models import Event, Organization
from payouts.check import Comparison, ledger_stripe_compare
from payouts.models import AUDIT_MESSAGES, AuditEntry, Payout, PayoutRun
from payouts.owed import Owed, ledger_mark, owed_compute
from volunteers.models import BucketAssignment, User

logger = logging.getLogger(__name__)

A = AuditEntry.Action
P = Payout.Status
M = Payout.Method
T = TypeVar("T")


def audit(
    action: str,
    *,
    event: Event | None,
    now: dt.datetime,
    actor: User | None = None,
    run: PayoutRun | None = None,
    payout: Payout | None = None,
    organization: Organization | None = None,
    message: str = "",
    detail: str = "",
    **params: object,
) -> AuditEntry:
    """Add to the trail: `message` names an entry of AUDIT_MESSAGES (rendered in the reader's
    language with `params`); `detail` is text people or Stripe wrote, kept as written."""
    if message and message not in AUDIT_MESSAGES:
        raise ValueError(f"unknown audit message {message}")
    return AuditEntry.objects.create(
        event=event,
        run=run,
        payout=payout,
        organization=organization or (payout.organization if payout else None),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        message=message,
        params=params,
        detail=detail,
        at=now,
    )


# --- Closing -----------------------------------------------------------------------------------


def event_close(*, event: Event, by: User | None, now: dt.datetime) -> Event:
    """A lead closes the pledge day now: no more gifts, cash counts final; payouts computed."""
    with transaction.atomic():
        current = Event.objects.select_for_update().get(pk=event.pk)
        if current.status == Event.Status.CLOSED:
            return current
        if current.status == Event.Status.DRAFT:
            raise ValidationError(_("A draft pledge day cannot be closed."), code="draft")
        Event.objects.filter(pk=event.pk).update(
            status=Event.Status.CLOSED, closed_at=now, updated_at=now
        )
        audit(A.CLOSED, event=current, now=now, actor=by, message="closed_by_lead")
        transaction.on_commit(lambda: _queue_compute(event.pk), robust=True)
    return Event.objects.get(pk=event.pk)


def _queue_compute(event_id: int) -> None:
    from payouts.tasks import payouts_compute as task

    task.delay(event_id)


# --- Computing ----------------------------------------------------------------------------------


# What earlier runs gave a partner: the lines of approved runs (paid, or on their way) and money
# a partner gave back. A line of a run nobody approved yet is replaced by the next run.
COMMITTED_Q = Q(status__in=(P.PENDING, P.SENDING, P.PAID), run__approved_at__isnull=False) | Q(
    status=P.RECOVERED
)
# Lines a later run takes over: negatives to deduct, transfers Stripe refused, and the lines of
# a run not approved yet.
WAITING_Q = Q(status__in=(P.OFFSET, P.FAILED)) | Q(status=P.PENDING, run__approved_at__isnull=True)


def _by_organization(lines: QuerySet[Payout]) -> dict[int, int]:
    rows = lines.order_by().values("organization_id").annotate(total=Sum("amount_cents"))
    return {row["organization_id"]: row["total"] for row in rows}


def _committed(event: Event) -> dict[int, int]:
    return _by_organization(Payout.objects.filter(COMMITTED_Q, event=event))


def _repeatable_read(*, outermost: bool) -> None:
    """One snapshot for every aggregate of the computation (PostgreSQL; SQLite has one writer).
    Only a transaction of its own can choose it (inside a caller's, the caller's holds)."""
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _retrying(work: Callable[[], T], *, attempts: int = 3) -> T:
    """Run `work` in its own transaction; when another computation of the same day committed
    first (PostgreSQL refuses our snapshot, or the run number is taken), run it again: the next
    attempt sees that run. Any other error propagates."""
    for attempt in range(attempts):
        try:
            return work()
        except (OperationalError, IntegrityError) as error:
            cause = error.__cause__
            state = getattr(cause, "sqlstate", None)
            constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
            sqlite_run_taken = "payouts_payoutrun.event_id" in str(error)
            raced = state == "40001" or constraint == "payoutrun_once" or sqlite_run_taken
            if not raced or attempt == attempts - 1:
                raise
            logger.info("payouts: another computation committed first; computing again")
    raise AssertionError("unreachable")


def _method(organization: Organization, amount_cents: int) -> tuple[str, str]:
    if amount_cents < 0:
        return M.NONE, P.OFFSET
    if amount_cents == 0:
        return M.NONE, P.SETTLED
    if (
        stripe_api.connect_available()
        and organization.stripe_account_id
        and organization.stripe_account_state == Organization.StripeState.READY
    ):
        return M.TRANSFER, P.PENDING
    return M.GRANT, P.PENDING


def _compute_once(
    event_id: int, *, by: User | None, now: dt.datetime, force: bool
) -> PayoutRun | None:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _repeatable_read(outermost=outermost)
        event = Event.objects.select_for_update(no_key=True).get(pk=event_id)
        if event.status != Event.Status.CLOSED:
            raise ValidationError(_("Close the pledge day before computing its payouts."))
        owed = owed_compute(event)
        mark = ledger_mark(event)
        previous = PayoutRun.objects.filter(event=event).order_by("-number").first()
        committed = _committed(event)
        waiting = _by_organization(Payout.objects.filter(WAITING_Q, event=event))
        differences = {
            pk: share.owed_cents - committed.get(pk, 0) for pk, share in owed.shares.items()
        }
        for pk, cents in committed.items():  # a partner paid before, owed nothing now
            differences.setdefault(pk, -cents)
        if previous is not None:
            unchanged = all(cents == waiting.get(pk, 0) for pk, cents in differences.items())
            retry = (
                force
                and Payout.objects.filter(event=event, status__in=(P.OFFSET, P.FAILED)).exists()
            )
            if unchanged and not retry:
                if previous.ledger_mark != mark:  # the same money, written another way
                    PayoutRun.objects.filter(pk=previous.pk).update(ledger_mark=mark)
                return None
        if previous is None and not AuditEntry.objects.filter(event=event, action=A.CLOSED):
            closed_at = event.closed_at or now
            audit(A.CLOSED, event=event, now=closed_at, message="closed_after_grace")
        run = _run_write(event, owed, differences, mark=mark, previous=previous, by=by, now=now)
        # Serializes with a concurrent computation: PostgreSQL refuses its snapshot (retried).
        Event.objects.filter(pk=event.pk).update(updated_at=now)
        return run


def _run_write(
    event: Event,
    owed: Owed,
    differences: dict[int, int],
    *,
    mark: dict[str, object],
    previous: PayoutRun | None,
    by: User | None,
    now: dt.datetime,
) -> PayoutRun:
    run = PayoutRun.objects.create(
        event=event,
        number=previous.number + 1 if previous else 1,
        fee_policy=owed.fee_policy,
        net_raised_cents=owed.net_raised_cents,
        gross_cents=owed.total("gross_cents"),
        fees_cents=owed.total("fees_cents"),
        reversed_cents=owed.total("reversed_cents"),
        matched_cents=owed.total("matched_cents"),
        ledger_mark=mark,
        computed_at=now,
        computed_by=by if getattr(by, "pk", None) else None,
    )
    carried = Payout.objects.filter(WAITING_Q, event=event).values_list("pk", flat=True)
    Payout.objects.filter(pk__in=list(carried)).update(status=P.CARRIED)
    organizations = Organization.objects.in_bulk(list(differences))
    lines = []
    for pk, amount in sorted(differences.items()):
        if previous is not None and amount == 0:
            continue  # a follow-up re-opens only the partners whose money changed
        method, status = _method(organizations[pk], amount)
        share = owed.share(pk)
        lines.append(
            Payout(
                run=run,
                event=event,
                organization_id=pk,
                method=method,
                status=status,
                amount_cents=amount,
                designated_cents=share.designated_cents,
                pooled_cents=share.pooled_cents,
                reversed_cents=share.reversed_cents,
                fees_cents=share.fees_cents,
                matched_cents=share.matched_cents,
                owed_cents=share.owed_cents,
                previously_cents=share.owed_cents - amount,
                destination=organizations[pk].stripe_account_id if method == M.TRANSFER else "",
                idempotency_key=(
                    transfer_key(event_id=event.pk, organization_id=pk, run_number=run.number)
                    if method == M.TRANSFER
                    else None
                ),
            )
        )
    Payout.objects.bulk_create(lines)
    audit(
        A.COMPUTED,
        event=event,
        run=run,
        now=now,
        actor=by,
        message="computed",
        number=run.number,
        net_cents=owed.net_raised_cents,
        count=len(lines),
    )
    return run


def payouts_compute(
    *, event_id: int, now: dt.datetime, by: User | None = None, force: bool = False
) -> PayoutRun | None:
    """Compute the day's payouts; returns the new run, or None when nothing changed.

    `force` (finance's "compute a follow-up") also makes a run when only lines waiting for one
    remain (a negative to deduct, a transfer Stripe refused)."""
    return _retrying(lambda: _compute_once(event_id, by=by, now=now, force=force))


def transfer_key(*, event_id: int, organization_id: int, run_number: int) -> str:
    """The idempotency key of a transfer: exactly one (site, event, organization, run)."""
    return f"payout-{settings.PLEDGEDAY_INSTANCE}-{event_id}-{organization_id}-{run_number}"


def follow_up_due(run: PayoutRun) -> bool:
    """Whether the day's money changed since the run (cheap: the tallies, not the ledger)."""
    return ledger_mark(run.event) != run.ledger_mark


# --- Approving and paying -----------------------------------------------------------------------


class PayoutRefused(Exception):
    """The ledger and Stripe differ: nothing is paid until the differences are resolved."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(comparison.summary())
        self.comparison = comparison


def payouts_approve(
    *,
    run: PayoutRun,
    by: User | None,
    now: dt.datetime,
    compare: Callable[[Event], Comparison] = ledger_stripe_compare,
) -> PayoutRun:
    """Finance approves a run: first the ledger must agree with Stripe (refused, with the
    differences named, otherwise); then its transfers go out and its grants may be paid."""
    if run.approved_at is not None:
        return run
    comparison = compare(run.event)  # reads Stripe: outside any transaction
    if not comparison.agrees:
        with transaction.atomic():
            audit(
                A.CHECK_FAILED,
                event=run.event,
                run=run,
                now=now,
                actor=by,
                detail=comparison.summary(),
            )
        alert(
            subject=f"Payouts of {run.event.slug} refused: the ledger and Stripe differ",
            detail=comparison.summary(),
        )
        raise PayoutRefused(comparison)
    with transaction.atomic():
        # Under the day's row lock, as computing is: a run replaced or out of date is refused,
        # and the touch below makes a computation that read before this approval start again.
        Event.objects.select_for_update(no_key=True).filter(pk=run.event_id).first()
        current = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if current.approved_at is not None:
            return current
        newer = PayoutRun.objects.filter(event_id=run.event_id, number__gt=run.number).first()
        if newer is not None:
            raise ValidationError(
                _("Payout run %(n)s replaces this one: review and approve that one.")
                % {"n": newer.number},
                code="replaced",
            )
        if follow_up_due(current):
            raise ValidationError(
                _(
                    "Gifts, refunds or matched money changed since this run was computed: "
                    "compute the follow-up payout, then approve it."
                ),
                code="out_of_date",
            )
        PayoutRun.objects.filter(pk=run.pk).update(approved_at=now, approved_by=by)
        Event.objects.filter(pk=run.event_id).update(updated_at=now)
        audit(
            A.APPROVED,
            event=run.event,
            run=current,
            now=now,
            actor=by,
            message="agrees_demo" if comparison.not_compared else "agrees",
            count=comparison.compared,
            demo=comparison.not_compared,
        )
        transaction.on_commit(lambda: _queue_send(run.pk), robust=True)
    return PayoutRun.objects.get(pk=run.pk)


def _queue_send(run_id: int) -> None:
    from payouts.tasks import payouts_send as task

    task.delay(run_id)


def _claim(payout_id: int, *, now: dt.datetime) -> Payout | None:
    """Take a transfer to send: nobody else holds it, it is not paid, its run is approved."""
    lease = dt.timedelta(seconds=settings.PAYOUT_CLAIM_SECONDS)
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run", "organization", "event")
            .filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
                pk=payout_id,
                method=M.TRANSFER,
                status__in=(P.PENDING, P.SENDING),
                run__approved_at__isnull=False,
            )
            .first()
        )
        if payout is None:
            return None
        payout.status = P.SENDING
        payout.claimed_until = now + lease
        payout.attempts += 1
        payout.save(update_fields=["status", "claimed_until", "attempts"])
        return payout


def _transfer(payout: Payout) -> str:
    group = stripe_api.transfer_group(payout.event_id)
    if payout.attempts > 1:  # an earlier attempt may have reached Stripe
        found = stripe_api.transfer_find(group=group, payout_id=payout.pk)
        if found:
            return found
    assert payout.idempotency_key  # noqa: S101 (the database requires it of a transfer)
    return stripe_api.transfer_create(
        payout_id=payout.pk,
        organization_slug=payout.organization.slug,
        amount_cents=payout.amount_cents,
        currency=payout.event.currency,
        destination=payout.destination,
        group=group,
        idempotency_key=payout.idempotency_key,
    )


def payout_send(*, payout_id: int, now: dt.datetime) -> str:
    """Send one transfer; returns what happened ("paid", "failed", "retry", "skipped")."""
    payout = _claim(payout_id, now=now)
    if payout is None:
        return "skipped"
    try:
        transfer_id = _transfer(payout)
    except stripe_api.TRANSIENT_ERRORS as error:
        Payout.objects.filter(pk=payout.pk, status=P.SENDING).update(error=str(error)[:300])
        return "retry"  # the claim expires and the beat's scan sends it again, same key
    except stripe.IdempotencyError as error:  # the key was used with other parameters: a bug
        Payout.objects.filter(pk=payout.pk, status=P.SENDING).update(error=str(error)[:300])
        alert(
            subject=f"Payout {payout.pk}: Stripe refused its idempotency key",
            detail=f"{payout.idempotency_key}: {error}",
        )
        return "retry"
    except stripe.InvalidRequestError as error:  # Stripe refused it (balance, account)
        with transaction.atomic():
            Payout.objects.filter(pk=payout.pk, status=P.SENDING).update(
                status=P.FAILED, error=str(error.user_message or error)[:300], claimed_until=None
            )
            audit(
                A.TRANSFER_FAILED,
                event=payout.event,
                run=payout.run,
                payout=payout,
                now=now,
                detail=str(error.user_message or error)[:300],
            )
            alert(
                subject=f"Stripe refused the transfer to {payout.organization.slug}",
                detail=f"payout {payout.pk} ({payout.amount_cents}¢): {error}",
            )
        return "failed"
    except stripe.StripeError as error:  # Stripe's own trouble, or our keys: sent again later
        Payout.objects.filter(pk=payout.pk, status=P.SENDING).update(error=str(error)[:300])
        alert(
            subject=f"Payout {payout.pk} could not be sent to Stripe yet",
            detail=f"{type(error).__name__}: {error} (it is sent again, with the same key)",
        )
        return "retry"
    with transaction.atomic():
        updated = Payout.objects.filter(pk=payout.pk, status=P.SENDING).update(
            status=P.PAID, stripe_transfer_id=transfer_id, paid_at=now, claimed_until=None, error=""
        )
        if updated:
            audit(
                A.TRANSFER_SENT,
                event=payout.event,
                run=payout.run,
                payout=payout,
                now=now,
                message="transfer_sent",
                transfer=transfer_id,
                amount_cents=payout.amount_cents,
            )
    return "paid"


def payouts_send(*, run_id: int, now: dt.datetime) -> dict[str, int]:
    """Send the approved run's transfers (each one claimed; see payout_send)."""
    outcomes: dict[str, int] = defaultdict(int)
    ids = Payout.objects.filter(
        run_id=run_id, method=M.TRANSFER, status__in=(P.PENDING, P.SENDING)
    ).values_list("pk", flat=True)
    for payout_id in list(ids):
        outcomes[payout_send(payout_id=payout_id, now=now)] += 1
    return dict(outcomes)


def payouts_scan(*, now: dt.datetime) -> dict[str, int]:
    """The beat's scan: compute the first run of days that closed by themselves, a follow-up of
    days whose ledger changed since their last run, and send transfers nobody is sending."""
    counts: dict[str, int] = defaultdict(int)
    for event in Event.objects.filter(status=Event.Status.CLOSED):
        last = PayoutRun.objects.filter(event=event).order_by("-number").first()
        if last is not None and not follow_up_due(last):
            continue
        try:
            run = payouts_compute(event_id=event.pk, now=now)
        except MoneyInvariantError as error:  # told, and the other days are still computed
            alert(subject=f"Payouts of {event.slug} not computed: the books disagree",
                  detail=str(error))  # fmt: skip
            counts["refused"] += 1
            continue
        counts["runs"] += run is not None
    waiting = Payout.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        method=M.TRANSFER,
        status__in=(P.PENDING, P.SENDING),
        run__approved_at__isnull=False,
    ).values_list("pk", flat=True)
    for payout_id in list(waiting):
        counts[payout_send(payout_id=payout_id, now=now)] += 1
    counts["accounts"] += _accounts_refresh(now=now)
    return {name: count for name, count in counts.items() if count}


def _accounts_refresh(*, now: dt.datetime) -> int:
    """Partners still onboarding with Stripe, asked again at most hourly (a partner may finish
    onboarding without coming back to our page). Returns how many became ready."""
    if not stripe_api.connect_available():
        return 0
    stale = Organization.objects.filter(
        Q(stripe_account_checked_at__isnull=True)
        | Q(stripe_account_checked_at__lt=now - dt.timedelta(hours=1)),
        stripe_account_state=Organization.StripeState.PENDING,
    )
    ready = 0
    for organization in stale:
        try:
            state = organization_connect_refresh(organization=organization, now=now)
        except stripe_api.TRANSIENT_ERRORS:
            logger.warning("Stripe unreachable; %s's account is checked again later", organization)
            continue
        ready += state == Organization.StripeState.READY
    return ready


# --- Late changes --------------------------------------------------------------------------------


def cash_count_late(
    *,
    assignment: BucketAssignment,
    amount_cents: int,
    counted_by: User,
    witnessed_by: User,
    corrects: CashCount | None,
    note: str,
    now: dt.datetime,
    submission_token: str | None = None,
) -> tuple[CashCount, bool]:
    """A cash count corrected (or a bucket first counted) after the day closed: a new, audited
    entry; the follow-up payout it causes re-opens only the partners whose money changed."""
    with transaction.atomic():
        count, created = donation_services.cash_count_record(
            assignment=assignment,
            amount_cents=amount_cents,
            counted_by=counted_by,
            witnessed_by=witnessed_by,
            corrects=corrects,
            note=note,
            now=now,
            submission_token=submission_token,
            after_closing=True,
        )
        if created:
            event = assignment.bucket.event
            audit(
                A.LATE_CHANGE,
                event=event,
                now=now,
                actor=counted_by,
                message="late_cash_count",
                detail=note.strip(),
                bucket=assignment.bucket.label,
                was_cents=corrects.amount_cents if corrects else None,
                now_cents=amount_cents,
            )
            transaction.on_commit(lambda: _queue_compute(event.pk), robust=True)
    return count, created


# --- Grants paid by hand ------------------------------------------------------------------------


def payout_grant_paid(
    *,
    payout: Payout,
    by: User | None,
    paid_on: dt.date,
    method: str,
    reference: str,
    now: dt.datetime,
) -> Payout:
    """Finance paid a grant (check or bank transfer): recorded once, never edited after."""
    if method not in Payout.GrantMethod.values:
        raise ValidationError(_("Choose how the grant was paid."), code="method")
    reference = reference.strip()
    if not reference:
        raise ValidationError(_("Enter the check number or transfer reference."), code="reference")
    if paid_on > now.date() + dt.timedelta(days=1):
        raise ValidationError(_("A grant cannot be paid in the future."), code="future")
    with transaction.atomic():
        current = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("run", "event")
            .get(pk=payout.pk)
        )
        if current.status == P.PAID:
            raise ValidationError(
                _("This grant is already recorded as paid; record a correction instead."),
                code="paid",
            )
        if current.method != M.GRANT or current.status != P.PENDING:
            raise ValidationError(
                _("Only a grant waiting to be paid can be recorded."), code="state"
            )
        if current.run.approved_at is None:
            raise ValidationError(_("Approve the payouts before paying them."), code="unapproved")
        Payout.objects.filter(pk=current.pk).update(
            status=P.PAID,
            paid_at=now,
            paid_on=paid_on,
            paid_method=method,
            paid_reference=reference[:100],
            paid_by=by,
        )
        audit(
            A.GRANT_PAID,
            event=current.event,
            run=current.run,
            payout=current,
            now=now,
            actor=by,
            message="grant_paid",
            amount_cents=current.amount_cents,
            date=paid_on.isoformat(),
            how=method,
            reference=reference[:100],
        )
    return Payout.objects.get(pk=payout.pk)


def payout_note(
    *, payout: Payout, by: User | None, note: str, recovered: bool, now: dt.datetime
) -> None:
    """A correction of a paid payout (a new entry: the payout itself never changes), or money
    a partner gave back on a negative line (it then counts as settled)."""
    note = note.strip()
    if not note:
        raise ValidationError(_("Say what happened."), code="note")
    with transaction.atomic():
        current = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("run", "event")
            .get(pk=payout.pk)
        )
        if recovered:
            if current.status != P.OFFSET:
                raise ValidationError(
                    _("Only money still to deduct can be recorded as recovered."), code="state"
                )
            Payout.objects.filter(pk=current.pk).update(status=P.RECOVERED)
        audit(
            A.RECOVERED if recovered else A.CORRECTION,
            event=current.event,
            run=current.run,
            payout=current,
            now=now,
            actor=by,
            detail=note[:1000],
        )


# --- Stripe Connect onboarding ------------------------------------------------------------------


def organization_connect_start(
    *, organization: Organization, by: User | None, email: str, refresh_url: str, return_url: str,
    now: dt.datetime,
) -> str:  # fmt: skip
    """The address of Stripe's hosted onboarding for the partner (its account made first)."""
    if not stripe_api.connect_available():
        raise ValidationError(
            _(
                "Stripe Connect needs the site's Stripe keys; until then partners are paid "
                "as grants."
            ),
            code="local",
        )
    account_id = organization.stripe_account_id
    if not account_id:
        account_id = stripe_api.account_create(
            organization_id=organization.pk, email=email, country=settings.STRIPE_CONNECT_COUNTRY
        )
        with transaction.atomic():
            Organization.objects.filter(pk=organization.pk, stripe_account_id="").update(
                stripe_account_id=account_id,
                stripe_account_state=Organization.StripeState.PENDING,
                stripe_account_checked_at=now,
            )
            audit(
                A.CONNECT,
                event=None,
                organization=organization,
                now=now,
                actor=by,
                message="account_created",
                account=account_id,
            )
        organization.refresh_from_db()
        account_id = organization.stripe_account_id
    return stripe_api.account_link_create(
        account_id=account_id, refresh_url=refresh_url, return_url=return_url
    )


def organization_connect_refresh(*, organization: Organization, now: dt.datetime) -> str:
    """Ask Stripe where the partner's account stands; returns the state."""
    if not organization.stripe_account_id or not stripe_api.connect_available():
        return organization.stripe_account_state
    submitted, transfers = stripe_api.account_ready(organization.stripe_account_id)
    state = (
        Organization.StripeState.READY
        if submitted and transfers
        else Organization.StripeState.PENDING
    )
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(
            stripe_account_state=state, stripe_account_checked_at=now
        )
        if state != organization.stripe_account_state:
            audit(
                A.CONNECT,
                event=None,
                organization=organization,
                now=now,
                message="account_state",
                account=organization.stripe_account_id,
                state=state,
            )
    organization.stripe_account_state = state
    return state
