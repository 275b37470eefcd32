"""favicon.ico at the site's root, made from the theme's 32-pixel PNG icon.

Pages name their icons in link tags; a client that is shown no page (a feed,
a bookmark made elsewhere) asks the host for /favicon.ico instead.  An ICO
file may hold a PNG as it is, behind a header of 22 bytes, so the icon needs
no image library and follows a PNG that replaces the theme's.
"""

from __future__ import annotations

import struct

SOURCE = "assets/favicon-32.png"
ICO = "favicon.ico"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class NotAPng(ValueError):
    """Bytes that do not start as a PNG does (signature, then its IHDR chunk)."""


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    if len(png) < 24 or not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise NotAPng("not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def ico_from_png(png: bytes) -> bytes:
    """An ICO file holding `png` as its one image."""
    width, height = png_size(png)
    if not (0 < width <= 256 and 0 < height <= 256):
        raise NotAPng(f"{width}×{height} pixels; an icon is at most 256×256")
    header = struct.pack("<HHH", 0, 1, 1)  # reserved, type 1 (icon), one image
    # Sizes of 256 are written as 0; a PNG image gives its colour depth itself.
    entry = struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), len(header) + 16)
    return header + entry + png
