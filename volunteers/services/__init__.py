"""Every write of the volunteer side: profiles, waivers, sign-ups, shifts (capacity and buddy
minimum, from the organizer pages and the admin), the pool and auto-assign runs, check-in, buckets.

Locking order, everywhere: the volunteer's user row, then the shift row. Capacity is decided
under the shift's row lock, and the database refuses a confirmed_count above capacity anyway.
Both locks are FOR NO KEY UPDATE: they serialize the writers that matter without blocking (or
deadlocking with) inserts of rows that merely point at the user or the shift.

The package is split by domain: `profiles` (profile and waivers), `signups` (signing up, the
waitlist, cancelling), `shifts` (creating, changing, moving, cancelling), `staging` (the day's
check-in, no-shows and buckets) and `pool` (the pool and auto-assign). Everything is imported
here, so callers write `services.signup_create(...)`.
"""

from volunteers.selectors import waitlist_position  # a read, kept here for its callers
from volunteers.services.pool import (
    auto_assign_run_create,
    auto_assign_run_execute,
    event_auto_assign,
    pool_join,
    pool_leave,
)
from volunteers.services.profiles import (
    PROFILE_FIELDS,
    profile_calendar_token_reset,
    profile_save,
    waiver_accept,
    waiver_needed,
)
from volunteers.services.shifts import (
    shift_cancel,
    shift_changes_validate,
    shift_create,
    shift_delete,
    shift_update,
)
from volunteers.services.signups import (
    OPEN_STATUSES,
    REST_BREAK,
    signup_cancel,
    signup_create,
    signup_promoted_notify,
)
from volunteers.services.staging import (
    bucket_hand_out,
    bucket_return,
    signup_check_in,
    signup_check_out,
    signup_mark_no_show,
)

__all__ = [
    "OPEN_STATUSES",
    "PROFILE_FIELDS",
    "REST_BREAK",
    "auto_assign_run_create",
    "auto_assign_run_execute",
    "bucket_hand_out",
    "bucket_return",
    "event_auto_assign",
    "pool_join",
    "pool_leave",
    "profile_calendar_token_reset",
    "profile_save",
    "shift_cancel",
    "shift_changes_validate",
    "shift_create",
    "shift_delete",
    "shift_update",
    "signup_cancel",
    "signup_check_in",
    "signup_check_out",
    "signup_create",
    "signup_mark_no_show",
    "signup_promoted_notify",
    "waitlist_position",
    "waiver_accept",
    "waiver_needed",
]
