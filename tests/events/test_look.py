"""Look and feel (issue 11): logos and covers resized with Pillow and served with their sizes,
Open Graph tags, the header's links by role, the demo's real 404 page, the demo's pictures."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from events import images
from events.demo_images import demo_pictures_add
from events.models import Event, Membership, Organization
from tests.events.test_admin import change_form_data, current_partners
from tests.factories import (
    EventFactory,
    EventPartnerFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    published_event,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def photo(
    width: int = 3000,
    height: int = 2000,
    *,
    orientation: int | None = None,
    color: tuple[int, int, int] = (200, 120, 40),
) -> io.BytesIO:
    """A JPEG as a phone makes it: EXIF naming the camera, and maybe an orientation."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "Camera 1.0"  # Software
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    out.seek(0)
    return out


def transparent_logo(size: int = 900) -> io.BytesIO:
    image = Image.new("RGBA", (size, size // 2), (0, 0, 0, 0))
    image.paste((11, 93, 90, 255), (size // 4, 0, size // 2, size // 4))
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
        return image


# --- The resize service ------------------------------------------------------------------------


def test_a_cover_is_stored_1600_pixels_wide_with_an_800_pixel_copy_and_no_exif() -> None:
    event = EventFactory(slug="corner-day")
    images.event_images_set(event=event, cover=photo(3000, 2000))
    event.refresh_from_db()
    assert event.cover.name.startswith("events/covers/corner-day-")
    assert event.cover.name.endswith("-1600x1067.jpg")
    large = stored(event.cover.name)
    assert (large.format, large.size) == ("JPEG", (1600, 1067))
    assert not large.getexif()
    assert "exif" not in large.info
    small_name = event.cover.name.replace("-1600x1067.jpg", "-800x534.jpg")
    small = stored(small_name)
    assert small.size == (800, 534)
    assert not small.getexif()


def test_a_logo_fits_in_256_pixels_as_webp_and_keeps_its_transparency() -> None:
    event = EventFactory(slug="logo-day")
    images.event_images_set(event=event, logo=transparent_logo(900))
    event.refresh_from_db()
    assert event.logo.name.startswith("events/logos/logo-day-")
    assert event.logo.name.endswith("-256x128.webp")
    logo = stored(event.logo.name)
    assert (logo.format, logo.size) == ("WEBP", (256, 128))
    assert logo.mode == "RGBA"
    assert logo.getpixel((0, 0))[3] == 0  # still transparent


def test_a_partner_logo_is_resized_into_the_organizations_folder() -> None:
    organization = OrganizationFactory(slug="shelter")
    images.organization_logo_set(organization=organization, logo=photo(600, 600))
    organization.refresh_from_db()
    assert organization.logo.name.startswith("organizations/logos/shelter-")
    assert stored(organization.logo.name).size == (256, 256)


def test_a_photo_taken_sideways_is_stored_upright() -> None:
    event = EventFactory()
    images.event_images_set(event=event, cover=photo(1200, 600, orientation=6))
    event.refresh_from_db()
    assert stored(event.cover.name).size == (600, 1200)
    assert event.cover.name.endswith("-600x1200.jpg")  # narrower than 800: no phone copy


def test_a_small_cover_is_not_enlarged() -> None:
    event = EventFactory()
    images.event_images_set(event=event, cover=photo(640, 360))
    event.refresh_from_db()
    assert event.cover.name.endswith("-640x360.jpg")
    assert images.picture(event.cover).srcset.count("w") == 1


def test_a_file_that_is_no_picture_is_refused_with_a_message() -> None:
    event = EventFactory()
    with pytest.raises(ValidationError) as refused:
        images.event_images_set(event=event, logo=io.BytesIO(b"<svg onload=alert(1)>"))
    assert refused.value.code == "not_an_image"
    event.refresh_from_db()
    assert not event.logo


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    huge = io.BytesIO()
    Image.new("1", (9000, 8000)).save(huge, "PNG")  # 72 megapixels, a few kilobytes
    with pytest.raises(ValidationError) as refused:
        images.image_upload_validate(huge)
    assert refused.value.code == "too_many_pixels"


def test_replacing_a_cover_deletes_the_old_files_after_the_commit(
    django_capture_on_commit_callbacks,
) -> None:
    event = EventFactory()
    with django_capture_on_commit_callbacks(execute=True):
        images.event_images_set(event=event, cover=photo(2000, 1000))
    event.refresh_from_db()
    old = [event.cover.name, event.cover.name.replace("-1600x800.jpg", "-800x400.jpg")]
    assert all(default_storage.exists(name) for name in old)
    with django_capture_on_commit_callbacks(execute=True):
        images.event_images_set(event=event, cover=photo(2000, 1000, color=(20, 60, 90)))
    event.refresh_from_db()
    assert event.cover.name not in old
    assert not any(default_storage.exists(name) for name in old)
    assert default_storage.exists(event.cover.name)


def test_clearing_a_logo_empties_the_field() -> None:
    event = EventFactory()
    images.event_images_set(event=event, logo=transparent_logo())
    images.event_images_set(event=event, logo=False)
    event.refresh_from_db()
    assert event.logo.name == ""


def test_a_cover_uploaded_in_the_admin_is_stored_resized_never_as_uploaded(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    event = published_event()
    data = change_form_data(event, current_partners(event))
    data["cover"] = SimpleUploadedFile("IMG_0001.jpg", photo(4000, 3000).read(), "image/jpeg")
    response = client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert event.cover.name.endswith("-1600x1200.jpg")
    assert not default_storage.exists("events/covers/IMG_0001.jpg")
    assert event.story == "An edited story."


def test_a_file_that_is_no_picture_is_a_form_error_in_the_admin(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    organization = OrganizationFactory()
    response = client.post(
        reverse("admin:events_organization_change", args=[organization.pk]),
        {
            "name": organization.name,
            "slug": organization.slug,
            "legal_name": organization.legal_name,
            "tax_id": organization.tax_id,
            "logo": SimpleUploadedFile("logo.png", b"not a picture", "image/png"),
        },
    )
    assert response.status_code == 200
    assert "logo" in response.context["adminform"].form.errors
    organization.refresh_from_db()
    assert not organization.logo


def test_a_partner_logo_uploaded_in_the_admin_is_resized(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    organization = OrganizationFactory()
    response = client.post(
        reverse("admin:events_organization_change", args=[organization.pk]),
        {
            "name": organization.name,
            "slug": organization.slug,
            "legal_name": organization.legal_name,
            "tax_id": organization.tax_id,
            "logo": SimpleUploadedFile("logo.png", transparent_logo(1024).read(), "image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    organization.refresh_from_db()
    assert organization.logo.name.endswith("-256x128.webp")


# --- Pages carry them, sized, and the site serves them ------------------------------------------


@pytest.fixture
def dressed_event() -> Event:
    event = published_event(slug="dressed-day", title="Dressed Day")
    images.event_images_set(event=event, logo=transparent_logo(512), cover=photo(2400, 1200))
    for partner in event.partners.all():
        images.organization_logo_set(organization=partner.organization, logo=photo(300, 300))
    event.refresh_from_db()
    return event


def test_the_event_page_shows_the_cover_with_srcset_and_sizes_and_lazy_logos(
    client: Client, dressed_event: Event
) -> None:
    page = client.get(reverse("events:detail", args=[dressed_event.slug])).content.decode()
    cover = images.picture(dressed_event.cover)
    assert cover is not None
    assert f'src="{cover.url}"' in page
    assert f'srcset="{cover.smaller[0][0]} 800w, {cover.url} 1600w"' in page
    assert 'width="1600" height="800"' in page
    assert 'class="event-logo"' in page
    assert page.count('class="partner-logo"') == dressed_event.partners.count()
    assert page.count('loading="lazy"') == 1 + dressed_event.partners.count()
    assert "data:image" not in page  # never inlined


def test_the_home_page_shows_each_events_logo_on_its_card(
    client: Client, dressed_event: Event
) -> None:
    page = client.get(reverse("events:home")).content.decode()
    assert 'class="card-logo"' in page
    assert images.picture(dressed_event.logo).url in page  # type: ignore[union-attr]


def test_the_brand_include_shows_a_small_logo_or_nothing(dressed_event: Event) -> None:
    html = render_to_string("events/_event_brand.html", {"event": dressed_event})
    assert 'width="40" height="20"' in html
    assert render_to_string("events/_event_brand.html", {"event": EventFactory()}).strip() == ""


def test_a_stored_picture_is_served_with_a_years_cache(
    client: Client, dressed_event: Event
) -> None:
    response = client.get(dressed_event.cover.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age=31536000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    "path",
    [
        "/media/events/covers/missing-10x10.jpg",
        "/media/secrets/notes.jpg",
        "/media/events/logos/page.html",
        "/media/events/logos/../../etc/passwd.png",
    ],
)
def test_the_media_view_serves_only_stored_pictures(client: Client, path: str) -> None:
    default_storage.save("events/logos/page.html", io.BytesIO(b"<script>alert(1)</script>"))
    assert client.get(path).status_code == 404


# --- Open Graph -------------------------------------------------------------------------------


def test_a_shared_event_link_shows_its_title_story_and_cover(
    client: Client, dressed_event: Event
) -> None:
    page = client.get(reverse("events:detail", args=[dressed_event.slug])).content.decode()
    cover_url = f"http://testserver{dressed_event.cover.url}"
    assert '<meta property="og:title" content="Dressed Day">' in page
    assert '<meta property="og:description" content="We stand on corners' in page
    assert f'<meta property="og:image" content="{cover_url}">' in page
    assert '<meta property="og:url" content="http://testserver/events/dressed-day/">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page


def test_the_give_page_shares_its_pledge_day(client: Client, dressed_event: Event) -> None:
    page = client.get(reverse("donations:give_event", args=[dressed_event.slug])).content.decode()
    assert '<meta property="og:title" content="Dressed Day">' in page
    assert '<meta property="og:url" content="http://testserver/events/dressed-day/">' in page
    assert f'content="http://testserver{dressed_event.cover.url}"' in page


def test_the_spanish_page_shares_the_spanish_title_and_story(client: Client) -> None:
    event = published_event(title="Corner Day", title_es="Día de esquina", story_es="Nos paramos.")
    page = client.get(
        reverse("events:detail", args=[event.slug]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert '<meta property="og:title" content="Día de esquina">' in page
    assert '<meta property="og:description" content="Nos paramos.">' in page
    assert '<meta property="og:locale" content="es_US">' in page


def test_without_a_cover_a_shared_link_shows_the_site_icon(client: Client) -> None:
    event = published_event()
    page = client.get(reverse("events:detail", args=[event.slug])).content.decode()
    assert 'content="http://testserver/static/icons/icon-512.png"' in page
    assert '<meta name="twitter:card" content="summary">' in page


def test_the_home_page_shares_the_site(client: Client) -> None:
    page = client.get(reverse("events:home")).content.decode()
    assert '<meta property="og:title" content="Pledgeday">' in page
    assert '<meta property="og:url" content="http://testserver/">' in page


def test_every_page_links_the_favicon_icons_and_manifest(client: Client) -> None:
    page = client.get(reverse("events:home")).content.decode()
    for link in (
        '<link rel="icon" href="/static/icons/favicon.svg" type="image/svg+xml">',
        '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">',
        '<link rel="manifest" href="/static/site.webmanifest">',
    ):
        assert link in page
    for name, size in [("apple-touch-icon.png", 180), ("icon-192.png", 192), ("icon-512.png", 512)]:
        with Image.open(ROOT / "static" / "icons" / name) as icon:
            assert icon.size == (size, size)


# --- The header: Profile for everyone signed in, Organize for anyone with a role --------------


def header(client: Client) -> str:
    page = client.get(reverse("events:home")).content.decode()
    return page.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def test_a_visitor_gets_neither_profile_nor_organize(client: Client) -> None:
    assert "Profile" not in header(client)
    assert "Organize" not in header(client)


def test_a_volunteer_gets_a_profile_link_and_no_organize_link(client: Client) -> None:
    client.force_login(UserFactory())
    nav = header(client)
    assert f'<a href="{reverse("volunteers:profile")}">Profile</a>' in nav
    assert "Organize" not in nav


def test_an_event_organizer_is_led_to_the_events_dashboard(client: Client) -> None:
    membership = MembershipFactory(role=Membership.Role.ORGANIZER)
    client.force_login(membership.user)
    url = reverse("volunteers:organize", args=[membership.event.slug])
    assert f'<a href="{url}">Organize</a>' in header(client)


def test_the_finance_role_is_led_to_the_gifts_page(client: Client) -> None:
    membership = MembershipFactory(role=Membership.Role.FINANCE)
    client.force_login(membership.user)
    url = reverse("donations:organize_list", args=[membership.event.slug])
    assert f'<a href="{url}">Organize</a>' in header(client)


def test_a_partners_staff_is_led_to_the_partner_page(client: Client) -> None:
    organization = OrganizationFactory()
    membership = MembershipFactory(
        role=Membership.Role.PARTNER, event=None, organization=organization
    )
    client.force_login(membership.user)
    url = reverse("payouts:organization", args=[organization.slug])
    assert f'<a href="{url}">Organize</a>' in header(client)


def test_a_host_organizations_lead_sees_every_event_it_hosts_on_the_home_page(
    client: Client,
) -> None:
    host = OrganizationFactory()
    events = [EventFactory(fiscal_host=host), EventFactory(fiscal_host=host)]
    membership = MembershipFactory(role=Membership.Role.LEAD, event=None, organization=host)
    client.force_login(membership.user)
    assert '<a href="/#organize">Organize</a>' in header(client)
    page = client.get(reverse("events:home")).content.decode()
    organize = page.split('id="organize"', 1)[1].split("</section>", 1)[0]
    for event in events:
        assert reverse("volunteers:organize", args=[event.slug]) in organize
    assert reverse("payouts:organization", args=[host.slug]) in organize


def test_the_organize_link_costs_one_query(client: Client) -> None:
    membership = MembershipFactory(role=Membership.Role.ORGANIZER)
    client.force_login(membership.user)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("events:home"))
    assert sum("events_membership" in q["sql"] for q in queries.captured_queries) == 1


def test_someone_whose_role_ended_gets_no_organize_link(client: Client) -> None:
    membership = MembershipFactory(role=Membership.Role.ORGANIZER)
    client.force_login(membership.user)
    membership.delete()
    assert "Organize" not in header(client)


def test_a_superuser_is_offered_the_pledge_days_not_closed(client: Client) -> None:
    event = published_event()
    closed = published_event()
    Event.objects.filter(pk=closed.pk).update(status=Event.Status.CLOSED)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("events:home")).content.decode()
    organize = page.split('id="organize"', 1)[1].split("</section>", 1)[0]
    assert reverse("volunteers:organize", args=[event.slug]) in organize
    assert reverse("volunteers:organize", args=[closed.slug]) not in organize


# --- The demo ----------------------------------------------------------------------------------


def test_the_demo_pictures_dress_live_and_upcoming_days_and_their_partners_once() -> None:
    event = published_event()
    draft = EventFactory()
    EventPartnerFactory(event=draft)
    demo_pictures_add()
    event.refresh_from_db()
    draft.refresh_from_db()
    assert event.logo.name.endswith("-256x256.webp")
    assert event.cover.name.endswith("-1600x840.jpg")
    assert not draft.logo
    assert not draft.cover
    partners = Organization.objects.filter(partnerships__event=event)
    assert all(p.logo.name.endswith(".webp") for p in partners)
    names = (event.logo.name, event.cover.name)
    demo_pictures_add()
    event.refresh_from_db()
    assert (event.logo.name, event.cover.name) == names


def test_the_demo_answers_a_mistyped_bucket_link_with_the_real_404_page(tmp_path: Path) -> None:
    """config.settings.local as `./pledgeday run` uses it (DEBUG is off unless DJANGO_DEBUG=1)."""
    script = (
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from django.test import Client; from django.conf import settings;"
        "r = Client().get('/g/MISTYPEDTOKEN234', HTTP_HOST='127.0.0.1');"
        "s = Client().get('/static/css/site.css', HTTP_HOST='127.0.0.1');"
        "print(settings.DEBUG, r.status_code, s.status_code); print(r.content.decode())"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        PLEDGEDAY_VAR_DIR=str(tmp_path),
        DATABASE_URL="sqlite://:memory:",
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first, page = done.stdout.split("\n", 1)
    assert first == "False 404 200"
    assert "We couldn’t find that page" in page
    assert "Using the URLconf" not in page  # Django's debug page
