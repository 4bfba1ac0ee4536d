"""Logos and cover images: uploads resized with Pillow to bounded sizes (EXIF dropped), stored
under names that carry their pixel size, and what a page needs to show them (URL, width,
height, srcset) without opening a file.

An event has a logo and a cover, an organization a logo. A logo is fitted into 256 x 256 pixels
and kept as WebP (transparency kept); a cover is at most 1600 pixels wide, as a progressive JPEG
(it is also the picture of shared links, and every link preview reads JPEG), with an 800-pixel
copy beside it for phones. Stored names look like ``events/covers/<slug>-<digest>-1600x900.jpg``:
the digest of the stored bytes makes a name immutable (served with a year's cache), and the
size in the name gives the page its width and height attributes.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import IO, Literal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.fields.files import ImageFieldFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from events.models import Event, Organization

LOGO_MAX = 256
COVER_WIDTH = 1600
COVER_SMALL_WIDTH = 800
# A phone photo is 12-50 megapixels; more than this is refused before it is decoded.
MAX_SOURCE_PIXELS = 60_000_000
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Of the slug in a stored name: the longest name (a partner logo's folder, 40 characters, a
# 12-digit digest and the size) stays well within the fields' 255.
SLUG_CHARS = 40

Kind = Literal["logo", "cover"]
UPLOAD_TO = {
    ("event", "logo"): "events/logos/",
    ("event", "cover"): "events/covers/",
    ("organization", "logo"): "organizations/logos/",
}
SIZED_NAME = re.compile(r"^(?P<stem>.+)-(?P<width>\d{1,5})x(?P<height>\d{1,5})\.(?P<ext>webp|jpg)$")


@dataclass(frozen=True)
class Picture:
    """What an <img> needs: the URL and pixel size, and the smaller copies for srcset."""

    url: str
    width: int
    height: int
    smaller: tuple[tuple[str, int], ...] = ()

    @property
    def srcset(self) -> str:
        every = (*self.smaller, (self.url, self.width))
        return ", ".join(f"{url} {width}w" for url, width in every)


# --- Reading: what a page shows ---------------------------------------------------------------


def _small_size(width: int, height: int) -> tuple[int, int] | None:
    """The phone copy of a cover of this size, or None when the cover is already that small."""
    if width <= COVER_SMALL_WIDTH:
        return None
    return COVER_SMALL_WIDTH, max(1, round(height * COVER_SMALL_WIDTH / width))


def picture(image: ImageFieldFile | None) -> Picture | None:
    """The picture of a logo or cover field, or None when there is none.

    Sizes come from the stored name (no file is opened); a file stored some other way (a
    fixture, an older upload) is measured once by Pillow, and a missing one shows nothing.
    """
    if not image or not image.name:
        return None
    found = SIZED_NAME.match(image.name)
    if found:
        width, height = int(found["width"]), int(found["height"])
        smaller: tuple[tuple[str, int], ...] = ()
        small = _small_size(width, height) if found["ext"] == "jpg" else None
        if small:
            name = f"{found['stem']}-{small[0]}x{small[1]}.jpg"
            smaller = ((default_storage.url(name), small[0]),)
        return Picture(url=image.url, width=width, height=height, smaller=smaller)
    try:
        return Picture(url=image.url, width=image.width, height=image.height)
    except (OSError, ValueError, UnidentifiedImageError):
        return None


def fit(width: int, height: int, box: int) -> tuple[int, int]:
    """The size of a width x height picture shown inside a box x box square."""
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


# --- Checking and encoding --------------------------------------------------------------------


def _open(upload: IO[bytes]) -> Image.Image:
    """The uploaded picture, upright (EXIF orientation applied), or a ValidationError."""
    upload.seek(0)
    try:
        # Only the formats the page promises: every other decoder is attack surface.
        image = Image.open(upload, formats=("JPEG", "PNG", "WEBP"))
        if image.width * image.height > MAX_SOURCE_PIXELS:
            raise ValidationError(
                _("This picture is too large (%(pixels)s megapixels); at most 60 are accepted.")
                % {"pixels": round(image.width * image.height / 1_000_000)},
                code="too_many_pixels",
            )
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        raise ValidationError(
            _("This file is not a picture we can read: upload a JPEG, PNG or WebP image."),
            code="not_an_image",
        ) from error
    upright = ImageOps.exif_transpose(image)
    # Nothing the camera or editor wrote travels on (a JPEG comment, XMP, an ICC profile...):
    # Pillow copies `info` into the saved file. Only a palette's transparency is kept.
    upright.info = {key: upright.info[key] for key in ("transparency",) if key in upright.info}
    return upright


def image_upload_validate(upload: IO[bytes]) -> None:
    """Refuses what the resizing could not take: too big a file, too many pixels, no picture."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("This file is too large; upload a picture of at most 15 MB."), code="too_big"
        )
    _open(upload)
    upload.seek(0)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _encode_logo(image: Image.Image) -> tuple[bytes, int, int]:
    """Fitted into LOGO_MAX x LOGO_MAX, as WebP with its transparency. Metadata is not copied."""
    image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    image.thumbnail((LOGO_MAX, LOGO_MAX), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=90, method=6)
    return out.getvalue(), image.width, image.height


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, transparent areas on white (JPEG has no transparency)."""
    if not _has_alpha(image):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    return white


def _narrowed(image: Image.Image, width: int) -> Image.Image:
    """At most `width` pixels wide, the height in proportion (as _small_size computes it)."""
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image) -> bytes:
    """An optimized progressive JPEG; metadata (EXIF, GPS) is not copied."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, optimize=True, progressive=True)
    return out.getvalue()


def _store(name: str, data: bytes) -> str:
    """Saves the bytes under `name` unless they are there already (the name holds their digest)."""
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(data))


def _stored_files(upload: IO[bytes], *, prefix: str, slug: str, kind: Kind) -> list[str]:
    """Resizes an upload and stores it (a cover with its phone copy); the first name is the
    field's."""
    image = _open(upload)
    if kind == "logo":
        data, width, height = _encode_logo(image)
        digest = hashlib.sha256(data).hexdigest()[:12]
        return [_store(f"{prefix}{slug[:SLUG_CHARS]}-{digest}-{width}x{height}.webp", data)]
    cover = _narrowed(_flatten(image), COVER_WIDTH)
    data = _jpeg(cover)
    digest = hashlib.sha256(data).hexdigest()[:12]
    names = [_store(f"{prefix}{slug[:SLUG_CHARS]}-{digest}-{cover.width}x{cover.height}.jpg", data)]
    small = _narrowed(cover, COVER_SMALL_WIDTH)
    if small is not cover:
        small_name = f"{prefix}{slug[:SLUG_CHARS]}-{digest}-{small.width}x{small.height}.jpg"
        names.append(_store(small_name, _jpeg(small)))
    return names


def _files_of(name: str) -> list[str]:
    """A stored field value and the copies made beside it."""
    if not name:
        return []
    found = SIZED_NAME.match(name)
    if found and found["ext"] == "jpg":
        small = _small_size(int(found["width"]), int(found["height"]))
        if small:
            return [name, f"{found['stem']}-{small[0]}x{small[1]}.jpg"]
    return [name]


def _delete_later(names: list[str]) -> None:
    """Removes replaced files once the new names are committed (a rollback keeps them)."""

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete)


# --- Services: the writes --------------------------------------------------------------------

Upload = IO[bytes] | None | Literal[False]  # a file, no change, or cleared (the admin's checkbox)


def _apply(
    obj: Event | Organization, *, owner: str, slug: str, uploads: dict[str, Upload]
) -> list[str]:
    changed: list[str] = []
    replaced: list[str] = []
    for field, upload in uploads.items():
        if upload is None:
            continue
        old = getattr(obj, field).name or ""
        if upload is False:
            new = ""
        else:
            new = _stored_files(
                upload, prefix=UPLOAD_TO[(owner, field)], slug=slug, kind=field_kind(field)
            )[0]
        if new != old:
            setattr(obj, field, new)
            changed.append(field)
            replaced.extend(n for n in _files_of(old) if n not in _files_of(new))
    if changed:
        obj.save(update_fields=changed)
        _delete_later(replaced)
    return changed


def field_kind(field: str) -> Kind:
    return "cover" if field == "cover" else "logo"


@transaction.atomic
def event_images_set(*, event: Event, logo: Upload = None, cover: Upload = None) -> list[str]:
    """Resizes and stores an event's new logo and/or cover (False clears one); returns the
    fields changed. The files they replace are deleted after the commit."""
    return _apply(event, owner="event", slug=event.slug, uploads={"logo": logo, "cover": cover})


@transaction.atomic
def organization_logo_set(*, organization: Organization, logo: Upload) -> list[str]:
    """Resizes and stores a partner's new logo (False clears it)."""
    return _apply(
        organization, owner="organization", slug=organization.slug, uploads={"logo": logo}
    )
