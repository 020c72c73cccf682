"""ESC/POS thermal printers (80 and 58 mm): receipts printed as a 1-bit raster image.

The printers' own code pages mangle Thai (tone marks land beside their consonant or vanish),
so the receipt is drawn as a PDF exactly as on paper, rendered by pdfium at the printer's
width in dots (576 for 80 mm, 384 for 58 mm, 203 dpi), thresholded to black and white and sent
as a raster image (``GS v 0``), then the paper is cut.

Printers are reached by python-escpos: over the network (``host:port``, raw port 9100), over
USB (``vendor:product``; needs ``pyusb`` and libusb), or through a device or file path
(``/dev/usb/lp0``, a printer share, or a file for tests).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

from PIL import Image

from minichat_desktop.domain.sales.tax_documents import (
    PrinterSettings,
    ReceiptPrinterKind,
    parse_network_target,
    parse_usb_target,
)
from minichat_desktop.errors import EnvironmentProblem, UserError

log = logging.getLogger(__name__)

DOTS = {80: 576, 58: 384}
NETWORK_TIMEOUT_S = 10


def pdf_to_raster(pdf: bytes, dots: int, *, threshold: int = 160) -> Image.Image:
    """The PDF's pages, stacked, as one 1-bit image ``dots`` wide (black prints). Pixels
    darker than ``threshold`` (0-255) print; no dithering, which blurs small Thai marks."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in doc:
            width_pt = page.get_width()
            bitmap = page.render(scale=dots / width_pt, grayscale=True)
            pages.append(bitmap.to_pil().convert("L"))
            page.close()
    finally:
        doc.close()
    height = sum(p.height for p in pages)
    sheet = Image.new("L", (dots, height), 255)
    y = 0
    for p in pages:
        sheet.paste(p.crop((0, 0, min(p.width, dots), p.height)), (0, y))
        y += p.height
    return sheet.point(lambda v: 255 if v >= threshold else 0, mode="1")


def open_printer(settings: PrinterSettings) -> Any:
    """A python-escpos printer for the settings' ESC/POS target. Raises :class:`UserError`
    when the settings do not name an ESC/POS printer."""
    from escpos.printer import File, Network, Usb

    kind = settings.receipt_kind
    target = settings.receipt_target
    if kind == ReceiptPrinterKind.NETWORK:
        host, port = parse_network_target(target)
        return Network(host, port, timeout=NETWORK_TIMEOUT_S)
    if kind == ReceiptPrinterKind.USB:
        vendor, product = parse_usb_target(target)
        if not Usb.is_usable():
            raise EnvironmentProblem(
                "printer.usb_unavailable",
                "printing to a USB receipt printer needs the pyusb library and libusb; "
                "install them or connect the printer by network or as a device path",
            )
        return Usb(vendor, product)
    if kind == ReceiptPrinterKind.FILE:
        return File(target)
    raise UserError(
        "printer.not_escpos",
        "no ESC/POS receipt printer is set; choose one in Settings → Printers",
    )


def _where(settings: PrinterSettings) -> str:
    return f"{settings.receipt_kind.value} printer {settings.receipt_target}"


def _device_errors() -> tuple[type[BaseException], ...]:
    """What talking to a printer raises when the device is missing, off or refuses."""
    from escpos.exceptions import Error as EscposError

    errors: list[type[BaseException]] = [OSError, EscposError]
    try:
        import usb.core

        errors += [usb.core.USBError, usb.core.NoBackendError]
    except ImportError:
        pass
    return tuple(errors)


def print_image(
    settings: PrinterSettings,
    image: Image.Image,
    *,
    cut: bool = True,
    open_drawer: bool = False,
) -> None:
    """Send a 1-bit image to the ESC/POS printer, cut the paper and, with ``open_drawer``,
    kick the cash drawer plugged into the printer (pin 2). Raises :class:`EnvironmentProblem`
    when the printer cannot be reached or refuses the data."""
    errors = _device_errors()
    printer = open_printer(settings)
    try:
        if settings.receipt_kind == ReceiptPrinterKind.NETWORK:
            # Our own socket: python-escpos leaves its socket open when the connection fails.
            printer.device = socket.create_connection(
                (printer.host, printer.port), timeout=NETWORK_TIMEOUT_S
            )
        else:
            printer.open()
        printer.hw("INIT")
        printer.image(image, impl="bitImageRaster", fragment_height=960)
        if cut:
            printer.cut()
        if open_drawer:
            printer.cashdraw(2)
    except errors as exc:
        log.warning("ESC/POS printing to %s failed: %s", _where(settings), exc)
        raise EnvironmentProblem(
            "printer.unreachable",
            f"cannot print to the {_where(settings)}: {exc}; check that it is on, has paper "
            "and is connected",
            printer=settings.receipt_target,
        ) from exc
    finally:
        with contextlib.suppress(*errors, AttributeError):
            printer.close()


def print_pdf(
    settings: PrinterSettings, pdf: bytes, *, cut: bool = True, open_drawer: bool = False
) -> None:
    """Print a receipt PDF (drawn at the roll's printable width) on the ESC/POS printer."""
    dots = DOTS[settings.receipt_width]
    print_image(settings, pdf_to_raster(pdf, dots), cut=cut, open_drawer=open_drawer)
