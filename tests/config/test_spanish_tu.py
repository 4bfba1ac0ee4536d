"""Django's and allauth's own Spanish is formal (usted); ours speaks tú (locale_tu/)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext


def test_django_and_allauth_messages_a_volunteer_meets_speak_tu() -> None:
    with translation.override("es"):
        assert gettext("Enter a valid email address.") == (
            "Escribe una dirección de correo electrónico válida."
        )
        assert gettext("Forgot your password?") == "¿Olvidaste tu contraseña?"
        # Our own catalog still wins where it has the string.
        assert gettext("Give") != "Give"
