"""A payment slip the owner attaches from a file (the shopper sent it elsewhere: e-mail, another
chat app, a printout scanned): the picture is read, copied into the data folder and recorded on
the order with what its check found — the same check as a slip arriving in the chat.

The picture is read before the unit of work opens (reading a 5 MB photo takes a fraction of a
second, bounded by ``formats.qr_read``), so the database's writer waits only for the insert.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from minichat_desktop import paths
from minichat_desktop.domain.models import PaymentMethod
from minichat_desktop.domain.payments import slips
from minichat_desktop.domain.sales import order_actions, orders
from minichat_desktop.domain.sql import UnitOfWork
from minichat_desktop.errors import EnvironmentProblem, NotFound, UserError
from minichat_desktop.files import atomic_write_bytes
from minichat_desktop.formats import qr_read

PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
SLIPS_FOLDER = "slips"  # under <data>/media/, as the chat's slips


def attach_slip_file(
    uow: UnitOfWork, data_dir: Path, order_id: int, source: Path, actor: str
) -> orders.OrderView:
    """Copy the picture at ``source`` to ``<data>/media/slips/`` and attach it to the order
    with its check (``orders.attach_slip``). The order is not marked paid.

    Raises :class:`UserError` ``slip.not_image`` (not a picture, or damaged) or
    ``slip.too_large``, :class:`EnvironmentProblem` ``slip.unreadable`` when the file cannot be
    read, and what ``orders.attach_slip`` raises (an unknown order)."""
    name = source.name
    try:
        if source.stat().st_size > qr_read.MAX_BYTES:
            raise _too_large(name)
        data = source.read_bytes()
    except OSError as exc:
        raise EnvironmentProblem(
            "slip.unreadable", f"cannot read the slip picture {name}: {exc.strerror}", file=name
        ) from exc
    scan = qr_read.read_qr_codes(data)
    if scan.problem == "too_large":
        raise _too_large(name)
    if scan.problem:
        raise UserError(
            "slip.not_image",
            f"{name} is not a picture that can be opened: choose a JPEG, PNG or WebP file",
            file=name,
        )
    suffix = source.suffix.lower() if source.suffix.lower() in PICTURE_SUFFIXES else ".jpg"
    folder = paths.media_dir(data_dir) / SLIPS_FOLDER
    target = folder / f"order-{order_id}-{scan.sha256[:16]}{suffix}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(
            "slip.unwritable", f"cannot write {folder}: {exc.strerror}", path=str(folder)
        ) from exc
    if not target.exists():  # the same picture again: one copy
        atomic_write_bytes(target, data, problem="slip.unwritable")
    relative = str(target.relative_to(data_dir))
    with uow.write() as session:
        return orders.attach_slip(
            session, order_id, relative, actor, sha256=scan.sha256, payloads=scan.texts
        )


def check_attached_slip(uow: UnitOfWork, data_dir: Path, order_id: int) -> orders.OrderView:
    """Check the slip an order already has but that was never checked (attached before slips
    were checked): its picture, when it is a file in the data folder, is read and recorded.
    The order as it is now is returned either way; nothing is raised for a missing or
    unreadable picture (the check then says no QR was read)."""
    with uow.read() as session:
        view = orders.get_order(session, order_id)
    stored = view.slip_path
    if view.slip_check is not None or not stored or stored.startswith(("http://", "https://")):
        return view
    path = Path(stored) if Path(stored).is_absolute() else data_dir / stored
    scan = qr_read.read_qr_file(path)
    with uow.write() as session:
        current = orders.get_order(session, order_id)
        if current.slip_check is not None or current.slip_path != stored:
            return current  # checked meanwhile (a new slip arrived)
        slips.record_slip(
            session,
            order_id,
            stored,
            sha256=scan.sha256,
            payloads=scan.texts,
            conversation_ref=current.conversation_ref,
        )
        return orders.get_order(session, order_id)


def confirm_slip_payment(
    session: Session, order_id: int, slip_id: int | None, actor: str, *, tell: bool = False
) -> order_actions.Changed:
    """The owner looked at the slip ``slip_id`` beside the amount due and confirmed: the order
    is paid by transfer — PromptPay when it was to be paid by PromptPay (a PromptPay payment is
    a transfer too) — with the slip's transaction reference as the payment's, and with ``tell``
    the shopper is thanked. ``slip_id`` None (a slip never recorded): no reference. Raises
    what ``order_actions.mark_paid`` raises (already paid, cancelled) and ``slip.not_found``
    for a slip of another order."""
    reference = ""
    if slip_id is not None:
        slip = slips.get_slip(session, slip_id)
        if slip.order_id != order_id:
            raise NotFound("slip.not_found", f"no payment slip {slip_id} on order {order_id}",
                           slip=str(slip_id))  # fmt: skip
        reference = slip.trans_ref
    view = orders.get_order(session, order_id)
    method = (
        PaymentMethod.PROMPTPAY
        if view.payment_method == PaymentMethod.PROMPTPAY
        else PaymentMethod.BANK_TRANSFER
    )
    return order_actions.mark_paid(
        session, order_id, actor, method=method, reference=reference, tell=tell
    )


def _too_large(name: str) -> UserError:
    limit = qr_read.MAX_BYTES // (1024 * 1024)
    return UserError(
        "slip.too_large",
        f"{name} is larger than a slip picture can be ({limit} MB): choose the picture itself",
        file=name,
        limit=limit,
    )
