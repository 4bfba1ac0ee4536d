"""Uploaded pictures (review of issue 11): nothing the camera or editor wrote reaches the public
files, only the formats the page names are read, and a long slug still fits the stored name
(PostgreSQL enforces the column's length; SQLite does not)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from events import images
from events.models import Event, Organization
from tests.events.test_look import photo, transparent_logo
from tests.factories import EventFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def raw(name: str) -> bytes:
    with default_storage.open(name, "rb") as file:
        return file.read()


def test_a_jpeg_comment_and_icc_profile_do_not_travel_into_the_stored_cover() -> None:
    source = io.BytesIO()
    Image.new("RGB", (2000, 1000), (10, 20, 30)).save(
        source, "JPEG", comment=b"Jane Doe, 123 Elm St", icc_profile=b"private-profile-bytes"
    )
    source.seek(0)
    event = EventFactory(slug="comment-day")
    images.event_images_set(event=event, cover=source)
    event.refresh_from_db()
    names = [event.cover.name, event.cover.name.replace("-1600x800.jpg", "-800x400.jpg")]
    for name in names:
        data = raw(name)
        assert b"Jane Doe" not in data
        assert b"private-profile-bytes" not in data


def test_a_palette_logos_transparency_is_still_kept() -> None:
    source = io.BytesIO()
    palette = Image.open(transparent_logo()).convert("P")
    palette.info["transparency"] = 0
    palette.save(source, "PNG", transparency=0)
    source.seek(0)
    organization = OrganizationFactory()
    images.organization_logo_set(organization=organization, logo=source)
    organization.refresh_from_db()
    with default_storage.open(organization.logo.name, "rb") as file:
        stored = Image.open(io.BytesIO(file.read()))
        assert stored.mode == "RGBA"


@pytest.mark.parametrize("kind", ["TIFF", "BMP", "GIF"])
def test_formats_the_page_does_not_name_are_refused(kind: str) -> None:
    source = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(source, kind)
    source.seek(0)
    with pytest.raises(ValidationError) as refused:
        images.image_upload_validate(source)
    assert "JPEG, PNG or WebP" in refused.value.messages[0]


def test_a_long_slug_still_fits_the_stored_names() -> None:
    slug = "central-valley-pledge-to-stop-human-trafficking-and-labor-exploitation-2031"
    assert len(slug) > 70
    event = EventFactory(slug=slug)
    images.event_images_set(event=event, logo=photo(600, 600), cover=photo(3000, 2000))
    organization = OrganizationFactory(slug=slug)
    images.organization_logo_set(organization=organization, logo=photo(600, 600))
    event = Event.objects.get(pk=event.pk)
    organization = Organization.objects.get(pk=organization.pk)
    for name in (event.logo.name, event.cover.name, organization.logo.name):
        assert len(name) <= 255
        assert default_storage.exists(name)
