"""Photos attached to the pre-post check: find GPS coordinates in EXIF and make a copy without any metadata.

Nothing is written to disk or the database by this module; the upload is read into memory (bounded by
``max_photo_bytes()``, the HIKESHI_PHOTO_MAX_MB setting) and the cleaned copy is returned to the member directly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 60_000_000  # a decompression bomb is refused before it is decoded
GPS_IFD = 0x8825
SAVE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoError(ValueError):
    """The upload is not a photo hikeshi can read; the message is for the member."""


def max_photo_bytes() -> int:
    return int(settings.PHOTO_MAX_BYTES)


def too_large_message() -> str:
    return f"写真は {max_photo_bytes() // (1024 * 1024)}MB 以下にしてください。"


@dataclass(frozen=True)
class PhotoReport:
    format: str
    width: int
    height: int
    has_exif: bool
    gps: tuple[float, float] | None  # latitude, longitude in degrees

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "has_exif": self.has_exif,
            "has_gps": self.gps is not None,
            "latitude": self.gps[0] if self.gps else None,
            "longitude": self.gps[1] if self.gps else None,
        }


def _open(data: bytes) -> Image.Image:
    if not data:
        raise PhotoError("写真のファイルが空です。")
    if len(data) > max_photo_bytes():
        raise PhotoError(too_large_message())
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise PhotoError("画像の画素数が大きすぎます。")
        if image.format not in SAVE_FORMATS:
            raise PhotoError("JPEG・PNG・WebP の写真を選んでください。")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise PhotoError("画像として読み取れませんでした。JPEG・PNG・WebP の写真を選んでください。") from None
    return image


def _degrees(values: Any, ref: Any) -> float:
    d, m, s = (float(v) for v in values)
    result = d + m / 60 + s / 3600
    return -result if str(ref).upper() in ("S", "W") else result


def inspect_photo(data: bytes) -> PhotoReport:
    image = _open(data)
    exif = image.getexif()
    gps: tuple[float, float] | None = None
    gps_ifd = exif.get_ifd(GPS_IFD)
    try:
        if 2 in gps_ifd and 4 in gps_ifd:
            gps = (
                round(_degrees(gps_ifd[2], gps_ifd.get(1, "N")), 6),
                round(_degrees(gps_ifd[4], gps_ifd.get(3, "E")), 6),
            )
    except (TypeError, ValueError, ZeroDivisionError):
        gps = (0.0, 0.0)  # present but malformed: still a location tag worth removing
    return PhotoReport(image.format or "", image.width, image.height, bool(exif) or bool(gps_ifd), gps)


def strip_metadata(data: bytes) -> tuple[bytes, str]:
    """A copy of the photo with EXIF (GPS included), XMP, comments and other metadata removed.

    The pixels are re-encoded from a fresh image, so no metadata block can survive; the EXIF orientation is applied
    first so that the photo still appears the right way up.
    """
    image = _open(data)
    fmt = image.format or "JPEG"
    upright = ImageOps.exif_transpose(image)
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.convert("RGB").save(out, "JPEG", quality=92)
    else:
        clean.save(out, fmt)
    return out.getvalue(), SAVE_FORMATS[fmt]
