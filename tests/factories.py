"""factory_boy factories for every model the tests build."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from donations.models import Donation
from events.models import Bucket, Corner, Event, EventPartner, Membership, Organization, Shift
from volunteers.models import AgeBand, Profile, User

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
DAY_START = dt.datetime(2031, 1, 11, 7, 0, tzinfo=PACIFIC)  # a Saturday, long after today


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name}, Inc.")
    tax_id = factory.Sequence(lambda n: f"00-{n:07d}")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Pledge Day {n}")
    slug = factory.Sequence(lambda n: f"pledge-day-{n}")
    story = "We stand on corners so neighbors can give."
    starts_at = DAY_START
    ends_at = DAY_START + dt.timedelta(hours=12)
    timezone = "America/Los_Angeles"
    goal_cents = 1_000_000
    fiscal_host = factory.SubFactory(OrganizationFactory)
    suggested_amounts_cents = [1000, 2500, 5000]


class EventPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventPartner

    event = factory.SubFactory(EventFactory)
    organization = factory.SubFactory(OrganizationFactory)
    share_bp = 2500


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    event = factory.SubFactory(EventFactory)
    role = Membership.Role.ORGANIZER


class CornerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Corner

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Blackstone & Street {n}")
    city = "Fresno"


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    corner = factory.SubFactory(CornerFactory)
    starts_at = factory.LazyAttribute(lambda s: s.corner.event.starts_at)
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(hours=3))
    capacity = 4
    min_volunteers = 2


class BucketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bucket

    event = factory.SubFactory(EventFactory)
    label = factory.Sequence(lambda n: f"B-{n:03d}")


def published_event(**kwargs: object) -> Event:
    """An event with two partners at 60/40, published through the service."""
    from events import services

    event = EventFactory(**kwargs)
    services.event_partners_replace(
        event=event, shares=[(OrganizationFactory(), 6000), (OrganizationFactory(), 4000)]
    )
    return services.event_publish(event=event)


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    phone = "559-555-0142"
    emergency_contact_name = "Ana Contact"
    emergency_contact_phone = "559-555-0143"
    age_band = AgeBand.ADULT
    languages_spoken = ["en", "es"]


def volunteer(**profile_fields: object) -> User:
    """A verified user with a complete adult profile (override any profile field)."""
    return ProfileFactory(**profile_fields).user


def open_shift(*, capacity: int = 4, min_volunteers: int = 2, **event_fields: object) -> Shift:
    """A shift of a published event far in the future, no waiver, default rules."""
    event = published_event(**event_fields)
    return ShiftFactory(
        corner=CornerFactory(event=event), capacity=capacity, min_volunteers=min_volunteers
    )


class CardDonationFactory(factory.django.DjangoModelFactory):
    """A pending card gift with a PaymentIntent id, as donation_start leaves it."""

    class Meta:
        model = Donation

    event = factory.LazyFunction(lambda: published_event())
    method = Donation.Method.CARD
    amount_cents = 2500
    fee_cents = 0
    currency = "usd"
    fee_bp = factory.LazyAttribute(lambda d: d.event.card_fee_bp)
    fee_fixed_cents = factory.LazyAttribute(lambda d: d.event.card_fee_fixed_cents)
    created_at = factory.LazyFunction(timezone.now)
    stripe_payment_intent_id = factory.Sequence(lambda n: f"pi_test_{n:06d}")
    stripe_checkout_session_id = factory.Sequence(lambda n: f"cs_test_{n:06d}")
