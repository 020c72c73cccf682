"""The app icon in the formats the installers want, drawn from the project's own artwork
(resources/icons/minichat.svg): ``minichat.png`` (1024 px, Linux and the window icon),
``minichat.ico`` (Windows: 16–256 px) and ``minichat.icns`` (macOS).

Qt's SVG renderer draws the picture (Pillow reads no SVG); Pillow writes the three files.
Run by scripts/package: ``python packaging/make_icons.py OUT_DIR``.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SOURCE = Path(__file__).resolve().parent.parent / "resources" / "icons" / "minichat.svg"
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def render(size: int) -> Image.Image:
    """The artwork drawn at ``size`` × ``size`` pixels on a transparent ground."""
    image = QImage(size, size, QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SOURCE)).render(painter)
    painter.end()
    data = bytes(image.constBits())
    return Image.frombuffer("RGBA", (size, size), data, "raw", "RGBA", image.bytesPerLine(), 1)


def main(out: Path) -> None:
    _app = QGuiApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    big = render(1024)
    big.save(out / "minichat.png")
    big.save(out / "minichat.ico", sizes=ICO_SIZES)
    big.save(out / "minichat.icns")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
