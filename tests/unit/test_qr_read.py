"""QRs read from the pictures shoppers really send: screenshots and phone photos from 200 KB to
5 MB in PNG, JPEG and WebP (one turned by EXIF), a forwarded PromptPay QR, no QR, and files that
are not pictures — always a result, never an exception."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from support.slips import (
    KBANK_QR,
    SCB_QR,
    SlipFile,
    encode,
    no_qr,
    promptpay_forwarded,
    slip_files,
    slip_screen,
)

from minichat_desktop.domain.payments import slips
from minichat_desktop.domain.payments.slips import QrKind
from minichat_desktop.domain.promptpay import promptpay_payload
from minichat_desktop.formats import qr_read


@pytest.fixture(scope="module")
def files() -> list[SlipFile]:
    return slip_files(KBANK_QR)


def test_the_pictures_span_what_shoppers_send(files: list[SlipFile]) -> None:
    """The generated set covers ~200 KB to ~5 MB and the three formats."""
    sizes = {f.name: len(f.data) for f in files}
    assert min(sizes.values()) >= 180_000
    assert 4_500_000 <= sizes["photo.jpg"] <= 6_500_000
    assert [f.data[:4] for f in files[:3]] == [b"\x89PNG", b"\xff\xd8\xff\xe0", b"RIFF"]


@pytest.mark.parametrize(
    "name", ["screenshot.png", "chat.jpg", "grainy.webp", "sideways.jpg", "photo.jpg"]
)
def test_each_picture_gives_its_slip_qr(files: list[SlipFile], name: str) -> None:
    """Every kind of slip picture gives exactly the slip's payload, and it reads as KBank's."""
    f = next(f for f in files if f.name == name)
    scan = qr_read.read_qr_codes(f.data)
    assert (scan.texts, scan.problem, scan.sha256) == (
        (KBANK_QR,),
        "",
        hashlib.sha256(f.data).hexdigest(),
    )
    reading = slips.classify(scan.texts)
    assert reading.kind == QrKind.SLIP and reading.slip is not None
    assert (reading.slip.bank_code, reading.slip.trans_ref) == ("004", "016340141523ATF05798")


def test_a_small_qr_is_found_by_the_region_passes() -> None:
    """A mini QR too small for the first, scaled-down pass (50 px on a 2160×4680 picture)
    is found by a later pass."""
    data = encode(slip_screen(SCB_QR, qr_side=50).resize((2160, 4680)), "JPEG", quality=90)
    scan = qr_read.read_qr_codes(data)
    assert scan.texts == (SCB_QR,)
    assert scan.passes >= 2


def test_a_forwarded_promptpay_qr_is_read_and_is_not_a_slip() -> None:
    """The shop's own PromptPay QR comes back: read, then classified as not a slip."""
    scan = qr_read.read_qr_codes(promptpay_forwarded())
    assert scan.texts == (promptpay_payload("0812345678"),)
    assert slips.classify(scan.texts).kind == QrKind.NOT_SLIP


def test_a_picture_without_a_qr_gives_none_after_every_pass() -> None:
    """No QR: an empty result, no problem (the picture was looked at), all passes tried."""
    scan = qr_read.read_qr_codes(no_qr())
    assert (scan.texts, scan.problem) == ((), "")
    assert scan.passes == 8  # scaled, full size, six regions
    assert slips.classify(scan.texts).kind == QrKind.NONE


def test_files_that_are_not_pictures_give_a_problem_not_an_exception(tmp_path: Path) -> None:
    """Text, a truncated JPEG, an empty file, a missing file: each a named problem."""
    good = encode(slip_screen(KBANK_QR), "JPEG")
    assert qr_read.read_qr_codes(b"not a picture").problem == "not_image"
    assert qr_read.read_qr_codes(b"").problem == "not_image"
    truncated = qr_read.read_qr_codes(good[: len(good) // 3])
    assert truncated.problem in ("not_image", "")  # Pillow may decode the top part
    assert truncated.texts == ()
    assert qr_read.read_qr_file(tmp_path / "gone.jpg") == qr_read.QrScan((), "", "missing")
    (tmp_path / "slip.jpg").write_bytes(good)
    assert qr_read.read_qr_file(tmp_path / "slip.jpg").texts == (KBANK_QR,)


def test_a_decompression_bomb_is_refused_unread() -> None:
    """A tiny PNG that claims 20000×20000 pixels is too large, not decoded."""
    from PIL import Image

    data = encode(Image.new("1", (20_000, 20_000)), "PNG")
    assert qr_read.read_qr_codes(data).problem == "too_large"


def test_the_deadline_bounds_the_work() -> None:
    """With no time at all, one pass runs and the scan returns."""
    scan = qr_read.read_qr_codes(no_qr(), deadline=0.0)
    assert (scan.texts, scan.passes) == ((), 1)
