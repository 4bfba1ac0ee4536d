"""A volunteer's first use, polished: cancelling asks first, a calendar only for a place held,
guardian fields under their own heading, the site remembers the volunteer's language, allauth's
emails in our voice, and a shift already taken says so before anything is submitted."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tests.factories import UserFactory, open_shift, volunteer
from tests.support.volunteering import confirmed_count, signed_up, text
from volunteers.models import Signup, User

pytestmark = pytest.mark.django_db

PASSWORD = "a long pledge-day passphrase"


def full_shift_with_a_waitlist():
    """A shift of one place, taken, with one person waiting."""
    shift = open_shift(capacity=1, min_volunteers=1)
    holder, waiting = volunteer(), volunteer()
    return shift, signed_up(holder, shift), signed_up(waiting, shift)


# --- Cancelling asks first --------------------------------------------------------------------


def test_my_shifts_links_to_a_confirmation_page_instead_of_cancelling_at_once(
    client: Client,
) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    page = text(client.get(reverse("volunteers:my_shifts")))
    cancel_url = reverse("volunteers:signup_cancel", args=[signup.pk])
    assert f'<a class="button secondary" href="{cancel_url}">Cancel my shift</a>' in page
    assert f'action="{cancel_url}"' not in page


def test_the_confirmation_page_names_the_corner_and_time_and_cancels_nothing(
    client: Client,
) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    page = text(client.get(reverse("volunteers:signup_cancel", args=[signup.pk])))
    assert "Cancel this shift?" in page
    assert escape(shift.corner.name) in page
    assert "7 a.m." in page  # the factories' shifts start at 7 in the morning, event time
    assert "Yes, cancel my shift" in page
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED


def test_the_confirmation_page_says_the_place_goes_to_the_next_person_waiting(
    client: Client,
) -> None:
    _shift, holding, _waiting = full_shift_with_a_waitlist()
    client.force_login(holding.user)
    page = text(client.get(reverse("volunteers:signup_cancel", args=[holding.pk])))
    assert "Your place goes at once to the next person on the waitlist" in page


def test_without_a_waitlist_the_confirmation_page_says_the_place_opens_for_another(
    client: Client,
) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    page = text(client.get(reverse("volunteers:signup_cancel", args=[signup.pk])))
    assert "Your place opens for another volunteer" in page


def test_confirming_cancels_and_gives_the_place_to_the_next_person_waiting(
    client: Client,
) -> None:
    shift, holding, waiting = full_shift_with_a_waitlist()
    client.force_login(holding.user)
    response = client.post(reverse("volunteers:signup_cancel", args=[holding.pk]), follow=True)
    assert "Your sign-up is cancelled" in text(response)
    holding.refresh_from_db()
    waiting.refresh_from_db()
    assert holding.status == Signup.Status.CANCELLED
    assert waiting.status == Signup.Status.CONFIRMED
    assert confirmed_count(shift) == 1


def test_leaving_the_waitlist_asks_first_with_the_place_in_line(client: Client) -> None:
    _shift, _holding, waiting = full_shift_with_a_waitlist()
    client.force_login(waiting.user)
    my_shifts = text(client.get(reverse("volunteers:my_shifts")))
    cancel_url = reverse("volunteers:signup_cancel", args=[waiting.pk])
    assert f'href="{cancel_url}">Leave the waitlist</a>' in my_shifts
    page = text(client.get(cancel_url))
    assert "Leave the waitlist?" in page
    assert "Waitlist: number 1" in page
    assert "the next place that opens goes to the next person waiting" in page
    response = client.post(cancel_url, follow=True)
    assert "You have left the waitlist" in text(response)
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CANCELLED


def test_the_confirmation_page_of_a_cancelled_sign_up_sends_back_to_my_shifts(
    client: Client,
) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    client.post(reverse("volunteers:signup_cancel", args=[signup.pk]))
    response = client.get(reverse("volunteers:signup_cancel", args=[signup.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("volunteers:my_shifts")
    assert "This sign-up is already cancelled." in text(response)


def test_nobody_sees_the_confirmation_page_of_someone_elses_sign_up(client: Client) -> None:
    signup = signed_up(volunteer(), open_shift())
    client.force_login(volunteer())
    assert client.get(reverse("volunteers:signup_cancel", args=[signup.pk])).status_code == 404


def test_the_confirmation_page_speaks_spanish(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    response = client.get(
        reverse("volunteers:signup_cancel", args=[signup.pk]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert '<html lang="es">' in text(response)
    assert "Mis turnos" in text(response)  # the back link, a string already translated


# --- Calendars --------------------------------------------------------------------------------


def test_a_waitlisted_shift_offers_no_add_to_calendar(client: Client) -> None:
    _shift, _holding, waiting = full_shift_with_a_waitlist()
    client.force_login(waiting.user)
    page = text(client.get(reverse("volunteers:my_shifts")))
    assert "Add to calendar" not in page
    assert reverse("volunteers:signup_ics", args=[waiting.pk]) not in page


def test_a_confirmed_shift_offers_add_to_calendar(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    page = text(client.get(reverse("volunteers:my_shifts")))
    assert reverse("volunteers:signup_ics", args=[signup.pk]) in page


def unfolded(ics: str) -> str:
    """RFC 5545 folds long lines: a line break and a space continue the line."""
    return ics.replace("\r\n ", "")


def test_the_calendar_file_links_to_my_shifts(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signup = signed_up(user, shift)
    client.force_login(user)
    body = unfolded(text(client.get(reverse("volunteers:signup_ics", args=[signup.pk]))))
    my_shifts = "http://testserver" + reverse("volunteers:my_shifts")
    assert f"URL:{my_shifts}" in body
    assert f"DESCRIPTION:Manage your shifts: {my_shifts}" in body


def test_the_calendar_feed_links_to_my_shifts(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signed_up(user, shift)
    token = user.volunteer_profile.calendar_token
    body = unfolded(text(client.get(reverse("volunteers:calendar_feed", args=[token]))))
    assert "URL:http://testserver" + reverse("volunteers:my_shifts") in body


# --- Guardian fields --------------------------------------------------------------------------


def test_the_guardian_fields_sit_under_their_own_heading_for_16_and_17(client: Client) -> None:
    client.force_login(volunteer())
    page = text(client.get(reverse("volunteers:profile")))
    group = re.search(r'<fieldset class="guardian".*?</fieldset>', page, re.S)
    assert group, page
    assert "Only if you are 16 or 17" in group.group(0)
    for name in ("guardian_name", "guardian_contact", "guardian_consent_on"):
        assert f'name="{name}"' in group.group(0)
        assert page.count(f'name="{name}"') == 1
    assert 'data-age-field="id_age_band"' in group.group(0)
    assert 'data-age-band="16-17"' in group.group(0)
    assert "js/guardian-fields" in page


def test_the_guardian_fields_come_right_after_the_age(client: Client) -> None:
    client.force_login(volunteer())
    page = text(client.get(reverse("volunteers:profile")))
    assert (
        page.index('name="age_band"')
        < page.index('<fieldset class="guardian"')
        < page.index('name="emergency_contact_name"')
    )


# --- Language ---------------------------------------------------------------------------------


def sign_in(client: Client, user: User, **headers: str):
    return client.post(
        reverse("account_login"),
        {"login": user.email, "password": "correct horse battery"},
        **headers,
    )


def test_a_volunteer_who_prefers_spanish_gets_spanish_when_signing_in(client: Client) -> None:
    user = UserFactory(preferred_language="es")
    response = sign_in(client, user)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = text(client.get(reverse("volunteers:my_shifts")))
    assert '<html lang="es">' in page


def test_the_signed_in_message_is_in_the_volunteers_language(client: Client) -> None:
    user = UserFactory(preferred_language="es")
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": "correct horse battery"},
        follow=True,
    )
    assert "Ha iniciado sesión exitosamente" in text(response)  # allauth's own Spanish


def test_an_account_with_the_default_language_keeps_a_spanish_phone_in_spanish(
    client: Client,
) -> None:
    user = UserFactory(preferred_language="en")  # the default: maybe never chosen
    response = sign_in(client, user, HTTP_ACCEPT_LANGUAGE="es")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    page = text(client.get(reverse("volunteers:my_shifts"), HTTP_ACCEPT_LANGUAGE="es"))
    assert '<html lang="es">' in page


def test_switching_language_in_the_header_is_remembered_on_the_account(client: Client) -> None:
    user = UserFactory(preferred_language="en")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    user.refresh_from_db()
    assert user.preferred_language == "es"


def test_the_remembered_language_follows_the_volunteer_to_another_browser(client: Client) -> None:
    user = UserFactory(preferred_language="en")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    other_browser = Client()
    sign_in(other_browser, user)
    assert '<html lang="es">' in text(other_browser.get(reverse("volunteers:my_shifts")))


def test_switching_language_signed_out_changes_only_the_browser(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_an_unknown_language_changes_nothing(client: Client) -> None:
    user = UserFactory(preferred_language="en")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"


def test_a_new_account_keeps_the_language_of_the_page_it_was_made_on(client: Client) -> None:
    client.post(
        reverse("account_signup"),
        {"email": "nueva@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert User.objects.get(email="nueva@example.org").preferred_language == "es"


# --- Emails in our voice ----------------------------------------------------------------------


def test_the_verification_email_names_the_pledge_day_in_our_voice(client: Client) -> None:
    open_shift(title="Fresno Pledge Day")
    client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    message = mail.outbox[-1]
    assert message.subject == "[Pledgeday] Confirm your email address for Fresno Pledge Day"
    assert "Hello from" not in message.body
    assert "testserver!" not in message.body
    assert "You are one step away from volunteering for Fresno Pledge Day" in message.body
    assert "/accounts/confirm-email/" in message.body
    assert "The Pledgeday team, Fresno Pledge Day" in message.body


def test_without_a_pledge_day_the_verification_email_speaks_of_pledgeday(client: Client) -> None:
    client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    message = mail.outbox[-1]
    assert message.subject == "[Pledgeday] Confirm your email address"
    assert "The Pledgeday team\n" in message.body


def test_the_password_reset_email_is_in_our_voice(client: Client) -> None:
    open_shift(title="Fresno Pledge Day")
    user = UserFactory(name="Ana García")
    client.post(reverse("account_reset_password"), {"email": user.email})
    message = mail.outbox[-1]
    assert message.subject == "[Pledgeday] Choose a new password"
    assert message.body.startswith("Hello Ana,")
    assert "Hello from" not in message.body
    assert "/accounts/password/reset/key/" in message.body
    assert "your password stays as it is" in message.body
    assert "Fresno Pledge Day" in message.body


def test_the_password_reset_email_speaks_the_accounts_language(client: Client) -> None:
    user = UserFactory(name="Ana García", preferred_language="es")
    client.post(reverse("account_reset_password"), {"email": user.email})  # an English page
    # A greeting already in the catalog; the rest of the Spanish arrives with this merge.
    assert mail.outbox[-1].body.startswith("Hola, Ana:")


def test_the_verification_email_speaks_the_language_of_the_sign_up_page(client: Client) -> None:
    open_shift(title="Fresno Pledge Day")
    client.post(
        reverse("account_signup"),
        {"email": "nueva@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "/accounts/confirm-email/" in mail.outbox[-1].body
    assert "sábado 11 de enero" in mail.outbox[-1].body  # the pledge day's date, in Spanish


def test_every_email_allauth_sends_has_our_own_template() -> None:
    from pathlib import Path

    import allauth

    stock = Path(allauth.__file__).parent / "templates" / "account" / "email"
    ours = Path(settings.BASE_DIR) / "templates" / "account" / "email"
    assert {p.name for p in stock.glob("*.txt")} <= {p.name for p in ours.glob("*.txt")}


def test_the_subjects_are_not_html_escaped(client: Client) -> None:
    open_shift(title="Fresno & Clovis Pledge Day")
    client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert mail.outbox[-1].subject.endswith("for Fresno & Clovis Pledge Day")


# --- A shift already taken says so --------------------------------------------------------------


def test_the_signup_page_of_a_shift_already_taken_says_so_without_a_button(
    client: Client,
) -> None:
    shift, user = open_shift(), volunteer()
    signed_up(user, shift)
    client.force_login(user)
    page = text(client.get(reverse("volunteers:shift_signup", args=[shift.pk])))
    assert "You are already on this shift" in page
    assert 'type="submit" class="button"' not in page
    assert "Confirm my sign-up" not in page


def test_the_signup_page_of_a_shift_waited_for_says_so_with_the_place_in_line(
    client: Client,
) -> None:
    shift, _holding, waiting = full_shift_with_a_waitlist()
    client.force_login(waiting.user)
    page = text(client.get(reverse("volunteers:shift_signup", args=[shift.pk])))
    assert "You are already on this shift’s waitlist (number 1)" in page
    assert "Join the waitlist" not in page


def test_submitting_again_for_a_shift_already_taken_changes_nothing(client: Client) -> None:
    shift, user = open_shift(), volunteer()
    signed_up(user, shift)
    client.force_login(user)
    response = client.post(reverse("volunteers:shift_signup", args=[shift.pk]), follow=True)
    assert "You are already signed up for this shift." in text(response)
    assert Signup.objects.filter(user=user, shift=shift).count() == 1
    assert confirmed_count(shift) == 1


def test_the_shift_list_shows_a_waitlisted_shift_instead_of_its_button(client: Client) -> None:
    shift, _holding, waiting = full_shift_with_a_waitlist()
    client.force_login(waiting.user)
    page = text(client.get(reverse("volunteers:shift_list", args=[shift.corner.event.slug])))
    assert "You are on the waitlist" in page
    assert reverse("volunteers:shift_signup", args=[shift.pk]) not in page
