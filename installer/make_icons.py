"""Draws the application icon into resources/icons/ (PNG for Linux menus, ICO for Windows): run again after a change.

    python installer/make_icons.py

A dark-blue tile with "DDJ" in the bundled DejaVu Sans Bold and three linked dots under it (records of one
person across agencies). Pillow comes with reportlab.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "resources" / "fonts" / "DejaVuSans-Bold.ttf"
OUT = ROOT / "resources" / "icons"
BLUE, WHITE, GOLD = (31, 78, 121, 255), (255, 255, 255, 255), (242, 183, 5, 255)
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def draw(size: int = 256) -> Image.Image:
    """The icon at `size` pixels square (drawn 4x larger and scaled down, for smooth edges)."""
    big = size * 4
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 6, fill=BLUE)
    font = ImageFont.truetype(str(FONT), big * 30 // 100)
    pen.text((big / 2, big * 0.40), "DDJ", font=font, fill=WHITE, anchor="mm")
    y, r = big * 0.72, big * 0.055
    xs = [big * 0.28, big * 0.50, big * 0.72]
    pen.line([(xs[0], y), (xs[-1], y)], fill=GOLD, width=int(big * 0.025))
    for x in xs:
        pen.ellipse((x - r, y - r, x + r, y + r), fill=GOLD)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon = draw(256)
    icon.save(OUT / "ddj-desktop.png", optimize=True)
    icon.save(OUT / "ddj-desktop.ico", sizes=ICO_SIZES)
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
