"""Draw the theme's icon: site_templates/assets/favicon.svg and its PNG fallbacks.

The icon is a front page in miniature, on a 16-unit grid so that every line
falls on a whole pixel at 16 and 32 pixels: a red ground (the accent of
site.css), a masthead, and two columns of text.  One list of shapes gives the
SVG and the PNGs, drawn here with the standard library only, so the files can
be made again anywhere and always come out the same:

    python3 tests/draw_favicon.py            # write the three files
    python3 tests/draw_favicon.py OUTDIR     # write them elsewhere
"""

from __future__ import annotations

import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

GRID = 16
ACCENT = (0x8A, 0x1C, 0x1C)
PAPER = (0xFF, 0xFD, 0xF9)
CORNER = 3  # the radius of the ground, in grid units
# Antialiasing: each pixel is the share of SAMPLES×SAMPLES points inside a shape.
SAMPLES = 8
ASSETS = Path(__file__).resolve().parent.parent / "site_templates" / "assets"
SVG_NAME = "favicon.svg"
# name → (size in pixels, whether the ground has round corners).  Apple's icons
# are square and opaque: the system rounds their corners itself.
PNGS = {"favicon-32.png": (32, True), "apple-touch-icon.png": (180, False)}


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height


# The masthead, then three lines in each of two columns.
MARKS = (
    Rect(3, 3, 10, 3),
    *(Rect(x, y, 4, 1) for y in (8, 10, 12) for x in (3, 9)),
)


def _hex(colour: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in colour)


def svg() -> str:
    path = "".join(f"M{r.x} {r.y}h{r.width}v{r.height}h-{r.width}z" for r in MARKS)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {GRID} {GRID}">'
        f'<rect width="{GRID}" height="{GRID}" rx="{CORNER}" fill="{_hex(ACCENT)}"/>'
        f'<path fill="{_hex(PAPER)}" d="{path}"/></svg>\n'
    )


def _in_ground(x: float, y: float, rounded: bool) -> bool:
    if not rounded:
        return True
    # Distance past the corner circles' centres, when in a corner square.
    dx = max(CORNER - x, 0.0, x - (GRID - CORNER))
    dy = max(CORNER - y, 0.0, y - (GRID - CORNER))
    return dx * dx + dy * dy <= CORNER * CORNER


def pixels(size: int, rounded: bool) -> list[bytes]:
    """Rows of RGBA pixels, straight (not premultiplied) alpha."""
    scale = GRID / size
    offsets = [(i + 0.5) / SAMPLES for i in range(SAMPLES)]
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            ground = marks = 0
            for oy in offsets:
                for ox in offsets:
                    x, y = (px + ox) * scale, (py + oy) * scale
                    if _in_ground(x, y, rounded):
                        ground += 1
                        marks += any(r.contains(x, y) for r in MARKS)
            # Marks lie inside the ground; a pixel blends paper over accent by their share.
            colour = (
                (a * (ground - marks) + p * marks + ground // 2) // ground if ground else 0
                for a, p in zip(ACCENT, PAPER, strict=True)
            )
            row += bytes((*colour, (255 * ground + SAMPLES * SAMPLES // 2) // (SAMPLES * SAMPLES)))
        rows.append(bytes(row))
    return rows


def png(rows: list[bytes]) -> bytes:
    size = len(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\0" + row for row in rows)  # filter type 0 on every row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SVG_NAME).write_text(svg(), encoding="utf-8")
    for name, (size, rounded) in PNGS.items():
        (folder / name).write_bytes(png(pixels(size, rounded)))


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else ASSETS)
