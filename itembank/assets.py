"""Checking uploaded images by their bytes, not their names (OWASP ASVS 12.2.1).

Only PNG and JPEG are accepted, identified by magic number, with their dimensions read from the
headers; anything else, any truncated header, and anything too large or too big is refused.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

MAX_BYTES = 300 * 1024  #: a phone on 2G must still load the item
MAX_SIDE = 2000


class AssetError(ValueError):
    """An image was refused; ``code`` names the reason for translation."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedImage:
    """An image that passed the checks."""

    content_type: str
    width: int
    height: int
    size: int
    sha256: str
    data: bytes


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise AssetError("image_corrupt")
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    offset = 2
    while offset + 9 < len(data):
        if data[offset] != 0xFF:
            raise AssetError("image_corrupt")
        marker = data[offset + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        # Start-of-frame markers carry the size (all SOFn except DHT C4, JPG C8, DAC CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    raise AssetError("image_corrupt")


def check_image(data: bytes) -> CheckedImage:
    """Identify and measure an uploaded image, or raise AssetError."""
    if not data:
        raise AssetError("image_empty")
    if len(data) > MAX_BYTES:
        raise AssetError("image_too_large")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        content_type, (width, height) = "image/png", _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        content_type, (width, height) = "image/jpeg", _jpeg_size(data)
    else:
        raise AssetError("image_type")
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise AssetError("image_dimensions")
    return CheckedImage(content_type, width, height, len(data), hashlib.sha256(data).hexdigest(), data)
