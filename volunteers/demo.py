"""The demo's Central Valley "Pledge 2 Stop Human Trafficking" days, built idempotently.

Two days: the upcoming one (at least two weeks away, for volunteer sign-ups) and, on request, the
people side of a day under way now (`demo_live_day_seed`: its corners, shifts, sign-ups, checked-in
pairs and buckets out; `donations.demo` adds its money). Running it again changes nothing that
exists (the dates, the bucket tokens and the passwords stay); it only adds what is missing. Phone
numbers (555-01xx) and tax ids are fictional.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from events import services as event_services
from events.demo_images import demo_pictures_add
from events.models import Bucket, Corner, Event, Membership, Organization, Shift
from notices import preferences as notice_preferences
from volunteers import services as volunteer_services
from volunteers.models import AgeBand, BucketAssignment, User

DEMO_PASSWORD = "pledgeday-demo"  # noqa: S105 (printed by the launcher; demo accounts only)
DEMO_TIMEZONE = "America/Los_Angeles"
EVENT_SLUG = "pledge-2-stop-human-trafficking"
SHIFT_HOURS = [(7, 10), (10, 13), (13, 16), (16, 19)]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    language: str
    role: str  # "admin", "organizer" or "volunteer"
    age_band: str = AgeBand.ADULT
    city: str = ""
    shift: tuple[str, int] | None = None  # (corner, start hour) to sign up for
    texts: bool = False  # agreed to text messages (and to hear about future days)


ORGANIZATIONS = [
    # slug, name, legal name, tax id, share (bp), hotline name, hotline phone, description
    (
        "cvaht",
        "Central Valley Against Human Trafficking",
        "Fresno Economic Opportunities Commission",
        "00-0000001",
        4000,
        "24-hour crisis line",
        "559-555-0100",
        "Case management, emergency shelter referrals and training for survivors of sex and labor "
        "trafficking across the Central Valley. Fiscal host of the pledge day.",
    ),
    (
        "breaking-the-chains",
        "Breaking the Chains",
        "Breaking the Chains",
        "00-0000002",
        2000,
        "Outreach line",
        "559-555-0101",
        "Outreach and long-term support for women leaving exploitation in Fresno.",
    ),
    (
        "marjaree-mason-center",
        "Marjaree Mason Center",
        "Marjaree Mason Center, Inc.",
        "00-0000003",
        2000,
        "24-hour domestic violence hotline",
        "559-555-0102",
        "Safe housing and services for people escaping domestic violence in Fresno County.",
    ),
    (
        "cvjc",
        "Central Valley Justice Coalition",
        "Central Valley Justice Coalition",
        "00-0000004",
        2000,
        "",
        "",
        "Prevention education in schools and community awareness across the Central Valley.",
    ),
]

CORNERS = [
    # name, city, address, latitude, longitude, safety notes
    (
        "Blackstone & Shaw",
        "Fresno",
        "NE corner, by the bus stop",
        "36.808200",
        "-119.790300",
        "Stay on the sidewalk; traffic turns right fast. Restrooms at the café on Shaw.",
    ),
    (
        "Blackstone & Herndon",
        "Fresno",
        "SW corner, shopping-center entrance",
        "36.837400",
        "-119.790400",
        "Store manager knows we are coming; do not stand in the driveway.",
    ),
    (
        "Shaw & Clovis",
        "Clovis",
        "NW corner",
        "36.808300",
        "-119.701200",
        "Shade only in the afternoon: bring water.",
    ),
    (
        "Madera Ave & Whitesbridge",
        "Kerman",
        "SE corner, by the pharmacy",
        "36.723600",
        "-120.059900",
        "Heavy truck traffic on Whitesbridge; keep buckets on the curb side.",
    ),
    (
        "Gateway & Yosemite",
        "Madera",
        "NE corner, downtown",
        "36.961300",
        "-120.060700",
        "Spanish speakers very welcome on this corner.",
    ),
]

# The Spanish twins of the text organizers type (events.text): hotline name and description.
ORGANIZATIONS_ES = {
    "cvaht": (
        "Línea de crisis las 24 horas",
        "Manejo de casos, canalización a refugios de emergencia y capacitación para "
        "sobrevivientes de trata sexual y laboral en todo el Valle Central. Anfitrión fiscal del "
        "día de donación.",
    ),
    "breaking-the-chains": (
        "Línea de acercamiento",
        "Acercamiento y apoyo a largo plazo para mujeres que dejan la explotación en Fresno.",
    ),
    "marjaree-mason-center": (
        "Línea de violencia doméstica las 24 horas",
        "Vivienda segura y servicios para personas que escapan de la violencia doméstica en el "
        "condado de Fresno.",
    ),
    "cvjc": (
        "",
        "Educación preventiva en las escuelas y concientización comunitaria en todo el Valle "
        "Central.",
    ),
}

# Corner: (address or landmark, safety notes) in Spanish.
CORNERS_ES = {
    "Blackstone & Shaw": (
        "esquina noreste, junto a la parada del autobús",
        "Quédate en la banqueta; los autos dan vuelta a la derecha rápido. Hay baños en el café "
        "de la Shaw.",
    ),
    "Blackstone & Herndon": (
        "esquina suroeste, entrada del centro comercial",
        "El gerente de la tienda sabe que vamos; no te pares en la entrada de autos.",
    ),
    "Shaw & Clovis": ("esquina noroeste", "Solo hay sombra en la tarde: trae agua."),
    "Madera Ave & Whitesbridge": (
        "esquina sureste, junto a la farmacia",
        "Mucho tráfico de camiones en la Whitesbridge; deja los botes del lado de la banqueta.",
    ),
    "Gateway & Yosemite": (
        "esquina noreste, centro",
        "En esta esquina son muy bienvenidos quienes hablan español.",
    ),
}

MONTHS_ES = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
]  # fmt: skip

ACCOUNTS = [
    DemoAccount("admin@pledgeday.test", "Alex Admin", "en", "admin"),
    DemoAccount("organizer@pledgeday.test", "Olivia Ortega", "en", "organizer"),
    DemoAccount(
        "maria.lopez@pledgeday.test", "María López", "es", "volunteer",
        city="Fresno", shift=("Blackstone & Shaw", 7), texts=True,
    ),
    DemoAccount(
        "jose.hernandez@pledgeday.test", "José Hernández", "es", "volunteer",
        city="Fresno", shift=("Blackstone & Shaw", 7),
    ),
    DemoAccount(
        "sam.chen@pledgeday.test", "Sam Chen", "en", "volunteer",
        city="Clovis", shift=("Shaw & Clovis", 10), texts=True,
    ),
    DemoAccount(
        "priya.patel@pledgeday.test", "Priya Patel", "en", "volunteer",
        city="Clovis", shift=("Shaw & Clovis", 10),
    ),
    DemoAccount(
        "lupe.ramirez@pledgeday.test", "Lupe Ramírez", "es", "volunteer",
        age_band=AgeBand.MINOR, city="Madera", shift=("Gateway & Yosemite", 13),
    ),
]  # fmt: skip

STORY_ES = (
    "La trata de personas ocurre aquí, en el Valle Central: a lo largo de la carretera 99, en "
    "nuestros campos y en nuestros barrios. Un día al año, cientos de voluntarios se paran en "
    "esquinas concurridas, de Madera a Kerman, con botes, letreros y códigos QR.\n\n"
    "Cada donativo se reparte entre cuatro organizaciones locales que encuentran, protegen y "
    "acompañan a sobrevivientes, y que enseñan a nuestros jóvenes cómo reclutan los tratantes. "
    "Detente en el semáforo, escanea un bote y ayuda a que un vecino sea libre."
)

WAIVER = (
    "I volunteer of my own free will. I will stay on the sidewalk, never step into traffic, "
    "and always stand with at least one other volunteer. I will not confront anyone; if I see "
    "something that worries me I will call 911 or the National Human Trafficking Hotline. "
    "I release the organizers from liability for ordinary risks of standing on a street corner."
)

WAIVER_ES = (
    "Participo como voluntario por mi propia voluntad. Me quedaré en la banqueta, nunca me "
    "meteré al tráfico y siempre estaré con al menos otro voluntario. No confrontaré a nadie; "
    "si veo algo que me preocupa, llamaré al 911 o a la Línea Nacional contra la Trata de "
    "Personas. Libero a los organizadores de responsabilidad por los riesgos normales de estar "
    "en una esquina."
)

STORY = (
    "Human trafficking happens here, in the Central Valley: along Highway 99, in our fields and "
    "in our neighborhoods. On one day each year, hundreds of volunteers stand at busy corners "
    "from Madera to Kerman with buckets, signs and QR codes.\n\n"
    "Every gift is shared among four local organizations that find, shelter and stand beside "
    "survivors, and that teach our kids how traffickers recruit. Stop at a light, scan a bucket, "
    "and help a neighbor get free."
)


def _demo_day(now: dt.datetime) -> dt.date:
    """The first Saturday at least two weeks away, so the demo day is always upcoming."""
    day = now.astimezone(zoneinfo.ZoneInfo(DEMO_TIMEZONE)).date() + dt.timedelta(days=14)
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(DEMO_TIMEZONE))


def _organizations() -> list[tuple[Organization, int]]:
    shares = []
    for (
        slug,
        name,
        legal_name,
        tax_id,
        share_bp,
        hotline_name,
        hotline_phone,
        about,
    ) in ORGANIZATIONS:
        organization, _created = Organization.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "legal_name": legal_name,
                "tax_id": tax_id,
                "description": about,
                "description_es": ORGANIZATIONS_ES[slug][1],
                "hotline_name": hotline_name,
                "hotline_name_es": ORGANIZATIONS_ES[slug][0],
                "hotline_phone": hotline_phone,
            },
        )
        shares.append((organization, share_bp))
    return shares


def _event(*, now: dt.datetime, shares: list[tuple[Organization, int]]) -> Event:
    day = _demo_day(now)
    event, _created = Event.objects.get_or_create(
        slug=EVENT_SLUG,
        defaults={
            "title": f"Pledge 2 Stop Human Trafficking {day.year}",
            "title_es": f"Compromiso para Detener la Trata de Personas {day.year}",
            "story": STORY,
            "story_es": STORY_ES,
            "starts_at": _at(day, 7),
            "ends_at": _at(day, 19),
            "timezone": DEMO_TIMEZONE,
            "goal_cents": 25_000_00,
            "currency": "usd",
            "fiscal_host": shares[0][0],
            "minimum_gift_cents": 500,
            "suggested_amounts_cents": [1000, 2500, 5000, 10000],
            "waiver_text": WAIVER,
            "waiver_text_es": WAIVER_ES,
            "volunteer_coordinator_name": "Olivia Ortega",
            "volunteer_coordinator_phone": "559-555-0110",
        },
    )
    if event.status == Event.Status.DRAFT:
        event_services.event_partners_replace(event=event, shares=shares)
        event = event_services.event_publish(event=event)
    return event


def _corners_shifts_buckets(event: Event) -> None:
    day = event.starts_at.astimezone(event.tzinfo).date()
    for name, city, address, latitude, longitude, notes in CORNERS:
        corner, _created = Corner.objects.get_or_create(
            event=event,
            name=name,
            defaults={
                "city": city,
                "address": address,
                "address_es": CORNERS_ES[name][0],
                "latitude": Decimal(latitude),
                "longitude": Decimal(longitude),
                "safety_notes": notes,
                "safety_notes_es": CORNERS_ES[name][1],
            },
        )
        for start, end in SHIFT_HOURS:
            Shift.objects.get_or_create(
                corner=corner,
                starts_at=_at(day, start),
                ends_at=_at(day, end),
                defaults={"capacity": 4, "min_volunteers": 2},
            )
    for number in range(1, 2 * len(CORNERS) + 1):
        Bucket.objects.get_or_create(event=event, label=f"B-{number:02d}")


def _accounts(event: Event, accounts: list[DemoAccount] = ACCOUNTS) -> None:
    # One hash of the published password for every new account: hashing is slow on purpose,
    # and twenty-odd hashes would make the first `./pledgeday run` wait seconds for nothing.
    password = ""
    for account in accounts:
        user, created = User.objects.get_or_create(
            email=account.email,
            defaults={
                "name": account.name,
                "preferred_language": account.language,
                "is_staff": account.role == "admin",
                "is_superuser": account.role == "admin",
            },
        )
        if created:
            user.password = password = password or make_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        if account.role == "organizer":
            Membership.objects.get_or_create(
                user=user, organization=event.fiscal_host, role=Membership.Role.LEAD
            )
        if account.role == "volunteer":
            _volunteer(user, account, event)


def _volunteer(user: User, account: DemoAccount, event: Event) -> None:
    minor = account.age_band == AgeBand.MINOR
    volunteer_services.profile_save(
        user=user,
        phone=f"559-555-01{sum(map(ord, account.email)) % 90 + 10}",
        emergency_contact_name="Family contact",
        emergency_contact_phone="559-555-0199",
        languages_spoken=["es", "en"] if account.language == "es" else ["en"],
        age_band=account.age_band,
        preferred_city=account.city,
        guardian_name="Rosa Ramírez" if minor else "",
        guardian_contact="559-555-0198" if minor else "",
        guardian_consent_on=dt.date(2026, 11, 1) if minor else None,
    )
    if account.texts:
        notice_preferences.contact_preferences_save(
            user=user, phone=user.volunteer_profile.phone, texts=True, future_days=True,
            language=account.language, now=timezone.now(),
        )  # fmt: skip
    if account.shift is None:
        return
    corner_name, hour = account.shift
    day = event.starts_at.astimezone(event.tzinfo).date()
    shift = Shift.objects.filter(
        corner__event=event, corner__name=corner_name, starts_at=_at(day, hour)
    ).first()
    if shift is None:
        return
    with contextlib.suppress(ValidationError):  # already signed up, or the demo day has begun
        volunteer_services.signup_create(
            user=user, shift=shift, now=timezone.now(), accept_waiver=True
        )


@transaction.atomic
def demo_seed(*, now: dt.datetime | None = None) -> Event:
    """Create (or complete) the demo pledge day and its accounts; returns the event."""
    now = now or timezone.now()
    event = _event(now=now, shares=_organizations())
    _corners_shifts_buckets(event)
    # No bucket is out on the upcoming day: nobody is on a corner before it starts, and its
    # buckets' QR pages say so. The day under way (demo_live_day_seed) has buckets out.
    _accounts(event)
    demo_pictures_add()
    return event


# --- A pledge day under way now -------------------------------------------------------------------
#
# Built around the moment it is seeded: it starts at the top of the hour four hours earlier and
# runs four shifts of three hours, so the second shift is under way (at 11:20 the day is 7:00 to
# 19:00). The first shift is over: its pairs checked out and returned their buckets. The second
# shift's pairs are checked in and hold the buckets that are out now; at one corner a third
# volunteer of that shift has not turned up (the roster offers "No-show"). The last two shifts are
# open for sign-ups. A later run finds this day and changes nothing while it has more than an hour
# to go; after that (later the same day, or any later day) it seeds a new day under way then, whose
# first shift starts at least an hour after this day's staffed shifts ended, so that the same
# volunteers can stand again without overlapping shifts or too long a stretch.

LIVE_SLUG_PREFIX = "live-demo-"
LIVE_SHIFTS = 4
LIVE_SHIFT_LENGTH = dt.timedelta(hours=3)
LIVE_STARTED_BEFORE = dt.timedelta(hours=4)  # the day began this long before the top of the hour
LIVE_LAST_HOUR = dt.timedelta(hours=1)  # a day with less than this to go is not reused
LIVE_GOAL_CENTS = 20_000_00

LIVE_CREW = [
    DemoAccount(f"{login}@pledgeday.test", name, language, "volunteer", city=city)
    for login, name, language, city in [
        ("tou.vang", "Tou Vang", "en", "Fresno"),
        ("harpreet.sandhu", "Harpreet Sandhu", "en", "Fresno"),
        ("dana.whitfield", "Dana Whitfield", "en", "Fresno"),
        ("marcus.reed", "Marcus Reed", "en", "Fresno"),
        ("kao.xiong", "Kao Xiong", "en", "Fresno"),
        ("elena.cruz", "Elena Cruz", "es", "Fresno"),
        ("rachel.kim", "Rachel Kim", "en", "Clovis"),
        ("daniel.ortiz", "Daniel Ortiz", "es", "Clovis"),
        ("gurpreet.dhillon", "Gurpreet Dhillon", "en", "Kerman"),
        ("rosa.medina", "Rosa Medina", "es", "Kerman"),
        ("arturo.villa", "Arturo Villa", "es", "Kerman"),
        ("simran.gill", "Simran Gill", "en", "Kerman"),
        ("rosa.ramirez", "Rosa Ramírez", "es", "Madera"),
        ("luis.garcia", "Luis García", "es", "Madera"),
        ("nancy.moua", "Nancy Moua", "en", "Madera"),
        ("miguel.torres", "Miguel Torres", "es", "Fresno"),
    ]
]

# Corner: (the first shift's pair, whose bucket is back; the pair out now, and their bucket).
LIVE_ROSTER = {
    "Blackstone & Shaw": (
        ("tou.vang", "harpreet.sandhu", "B-06"),
        ("maria.lopez", "jose.hernandez", "B-01"),
    ),
    "Blackstone & Herndon": (
        ("dana.whitfield", "marcus.reed", "B-07"),
        ("kao.xiong", "elena.cruz", "B-02"),
    ),
    "Shaw & Clovis": (
        ("rachel.kim", "daniel.ortiz", "B-08"),
        ("sam.chen", "priya.patel", "B-03"),
    ),
    "Madera Ave & Whitesbridge": (
        ("gurpreet.dhillon", "rosa.medina", "B-09"),
        ("arturo.villa", "simran.gill", "B-04"),
    ),
    "Gateway & Yosemite": (
        ("lupe.ramirez", "rosa.ramirez", "B-10"),  # a daughter (16) and her mother
        ("luis.garcia", "nancy.moua", "B-05"),
    ),
}


# Corner: a third volunteer on the shift under way who has not turned up (the roster offers
# "No-show" for them: the shift has started and they never checked in).
LIVE_NOT_HERE = {"Blackstone & Herndon": "miguel.torres"}


@dataclass(frozen=True)
class LiveDay:
    """The day under way, and whether this run created it (then its history is to be added)."""

    event: Event
    created: bool
    returned: list[BucketAssignment]  # the first shift's buckets, back at the staging table
    out: list[BucketAssignment]  # the buckets out now with the second shift's pairs

    @property
    def second_shift_starts_at(self) -> dt.datetime:
        return self.event.starts_at + LIVE_SHIFT_LENGTH


def live_day_under_way(
    *, now: dt.datetime, time_left: dt.timedelta = dt.timedelta()
) -> Event | None:
    """The demo's latest live day that has begun and still has more than `time_left` to go."""
    return (
        Event.objects.filter(
            slug__startswith=LIVE_SLUG_PREFIX, starts_at__lte=now, ends_at__gt=now + time_left
        )
        .exclude(status__in=(Event.Status.DRAFT, Event.Status.CLOSED))
        .order_by("-starts_at", "-pk")
        .first()
    )


def _live_slug(starts_at: dt.datetime, today: dt.date) -> str:
    slug = f"{LIVE_SLUG_PREFIX}{today:%Y-%m-%d}"
    if not Event.objects.filter(slug=slug).exists():
        return slug
    return f"{slug}-{starts_at.astimezone(zoneinfo.ZoneInfo(DEMO_TIMEZONE)):%H%M}"


def _live_event(*, now: dt.datetime, shares: list[tuple[Organization, int]]) -> Event:
    # Whole hours in UTC are whole hours in Pacific time, and arithmetic in UTC is exact across
    # a change of daylight saving time.
    top_of_hour = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    starts_at = top_of_hour - LIVE_STARTED_BEFORE
    today = now.astimezone(zoneinfo.ZoneInfo(DEMO_TIMEZONE)).date()
    event = event_services.event_save(
        event=Event(
            title=f"Pledge 2 Stop Human Trafficking, {today:%B} {today.day} (live demo)",
            title_es=(
                "Compromiso para Detener la Trata de Personas, "
                f"{today.day} de {MONTHS_ES[today.month - 1]} (demo en vivo)"
            ),
            slug=_live_slug(starts_at, today),
            story=STORY,
            story_es=STORY_ES,
            starts_at=starts_at,
            ends_at=starts_at + LIVE_SHIFTS * LIVE_SHIFT_LENGTH,
            timezone=DEMO_TIMEZONE,
            goal_cents=LIVE_GOAL_CENTS,
            currency="usd",
            fiscal_host=shares[0][0],
            minimum_gift_cents=500,
            suggested_amounts_cents=[1000, 2500, 5000, 10000],
            waiver_text=WAIVER,
            waiver_text_es=WAIVER_ES,
            volunteer_coordinator_name="Olivia Ortega",
            volunteer_coordinator_phone="559-555-0110",
        ),
        changed=[],
    )
    event_services.event_partners_replace(event=event, shares=shares)
    return event_services.event_publish(event=event)


def _live_corners(event: Event) -> dict[str, tuple[Corner, list[Shift]]]:
    """Each corner of the live day with its four shifts, in order."""
    corners = {}
    for name, city, address, latitude, longitude, notes in CORNERS:
        corner = Corner.objects.create(
            event=event,
            name=name,
            city=city,
            address=address,
            address_es=CORNERS_ES[name][0],
            latitude=Decimal(latitude),
            longitude=Decimal(longitude),
            safety_notes=notes,
            safety_notes_es=CORNERS_ES[name][1],
        )
        shifts = [
            volunteer_services.shift_create(
                corner=corner,
                starts_at=event.starts_at + number * LIVE_SHIFT_LENGTH,
                ends_at=event.starts_at + (number + 1) * LIVE_SHIFT_LENGTH,
                capacity=4,
                min_volunteers=2,
            )
            for number in range(LIVE_SHIFTS)
        ]
        corners[name] = (corner, shifts)
    for number in range(1, 2 * len(CORNERS) + 1):
        Bucket.objects.create(event=event, label=f"B-{number:02d}")
    return corners


def _pair_out(
    *,
    event: Event,
    shift: Shift,
    pair: tuple[str, str],
    label: str,
    organizer: User,
    signed_up_at: dt.datetime,
) -> BucketAssignment | None:
    """Sign the pair up (days before), check them in and hand them their bucket at the start.

    None, with nothing written for the pair, when a rule refuses it: someone trying the demo may
    have signed one of them up for a shift of an earlier live day that overlaps this one.
    """
    try:
        with transaction.atomic():
            signups = [
                volunteer_services.signup_create(
                    user=User.objects.get(email=f"{person}@pledgeday.test"),
                    shift=shift,
                    now=signed_up_at,
                    accept_waiver=True,
                )
                for person in pair
            ]
            arrived = shift.starts_at - dt.timedelta(minutes=10)
            for signup in signups:
                volunteer_services.signup_check_in(signup=signup, now=arrived)
            return volunteer_services.bucket_hand_out(
                bucket=Bucket.objects.get(event=event, label=label),
                shift=shift,
                by=organizer,
                now=shift.starts_at - dt.timedelta(minutes=5),
            )
    except ValidationError:
        return None


def _not_here(*, shift: Shift, person: str, signed_up_at: dt.datetime) -> None:
    """Sign someone up (days before) who has not checked in; nothing when a rule refuses."""
    with contextlib.suppress(ValidationError), transaction.atomic():
        volunteer_services.signup_create(
            user=User.objects.get(email=f"{person}@pledgeday.test"),
            shift=shift,
            now=signed_up_at,
            accept_waiver=True,
        )


def _pair_back(*, assignment: BucketAssignment, organizer: User) -> BucketAssignment:
    """At the end of the shift: the pair checks out and their bucket is checked back in."""
    shift = assignment.shift
    for signup in shift.signups.filter(status="confirmed"):
        volunteer_services.signup_check_out(signup=signup, now=shift.ends_at)
    return volunteer_services.bucket_return(
        assignment=assignment, by=organizer, now=shift.ends_at + dt.timedelta(minutes=10)
    )


@transaction.atomic
def demo_live_day_seed(*, now: dt.datetime | None = None) -> LiveDay:
    """The people side of a pledge day under way now (see above): reused while it has more than
    an hour to go, else created with its corners, shifts, sign-ups, pairs and buckets."""
    now = now or timezone.now()
    current = live_day_under_way(now=now, time_left=LIVE_LAST_HOUR)
    if current is not None:
        return LiveDay(event=current, created=False, returned=[], out=[])
    demo_seed(now=now)  # the organizations, the upcoming day and the demo's accounts
    event = _live_event(now=now, shares=_organizations())
    _accounts(event, LIVE_CREW)
    corners = _live_corners(event)
    organizer = User.objects.get(email="organizer@pledgeday.test")
    signed_up_at = event.starts_at - dt.timedelta(days=3)
    returned, out = [], []
    for name, (earlier, current_pair) in LIVE_ROSTER.items():
        _corner, shifts = corners[name]
        first = _pair_out(
            event=event,
            shift=shifts[0],
            pair=earlier[:2],
            label=earlier[2],
            organizer=organizer,
            signed_up_at=signed_up_at,
        )
        if first is not None:
            returned.append(_pair_back(assignment=first, organizer=organizer))
        second = _pair_out(
            event=event,
            shift=shifts[1],
            pair=current_pair[:2],
            label=current_pair[2],
            organizer=organizer,
            signed_up_at=signed_up_at,
        )
        if second is not None:
            out.append(second)
    for name, person in LIVE_NOT_HERE.items():
        _not_here(shift=corners[name][1][1], person=person, signed_up_at=signed_up_at)
    # What the beat does within the minute: a published day whose window has begun goes live.
    event_services.events_advance_status(now=now)
    event.refresh_from_db()
    demo_pictures_add()
    return LiveDay(event=event, created=True, returned=returned, out=out)
