"""Optional online slip checks: the owner's choice of service (settings), and the use case
that checks one slip against its order.

Settings, in the shop database's ``settings`` table (never the key: that is in the keyring
under :func:`minichat_desktop.secrets.slip_key`):

- ``slipcheck.provider`` — ``""`` (no online check), ``"slipok"`` or ``"easyslip"``;
- ``slipcheck.slipok_branch_id`` — SlipOK's branch id (the number in its URL);
- ``slipcheck.base_url`` — ``""`` for the service's own address; tests point it at a stand-in;
- ``slipcheck.timeout_s`` — seconds one check may take (3–60, default 15);
- ``slipcheck.auto_confirm`` — confirm the payment without the owner's click when a check
  passes (default off).

The use case, in two steps so a screen runs the read through ``ui.ops`` and awaits only the
network::

    job = prepare_check(session, order_id, payload)         # one read: order, shop, settings
    result = await run_check(job, key)                      # the service, then the rules

(:func:`check_slip` does both for the CLI and the bot runner.) ``result`` says what to record
with the payments area's ``record_verification(session, slip_id, result.status, result.note,
result.amount_satang, result.at)`` and whether the payment may be confirmed without a click
(:attr:`SlipCheckResult.auto_confirm`: the setting on AND the check passed AND no reason
against). Nothing here marks anything paid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from minichat_desktop.app.slips import confirm_slip_payment
from minichat_desktop.domain import shop
from minichat_desktop.domain.models import OrderStatus, PaymentStatus, SlipCheck
from minichat_desktop.domain.payments import slips
from minichat_desktop.domain.payments.verification import (
    Code,
    OnlineCheck,
    OrderToPay,
    Outcome,
    Reason,
    ShopTargets,
    Verdict,
    judge,
)
from minichat_desktop.domain.sales.orders import get_order
from minichat_desktop.errors import UserError
from minichat_desktop.formats.slip_services import (
    DEFAULT_TIMEOUT,
    Service,
    ServiceConfig,
    SlipChecker,
)
from minichat_desktop.secrets import Secrets, slip_key
from minichat_desktop.storage.db import Database

PROVIDER_KEY = "slipcheck.provider"
BRANCH_KEY = "slipcheck.slipok_branch_id"
BASE_URL_KEY = "slipcheck.base_url"
TIMEOUT_KEY = "slipcheck.timeout_s"
AUTO_CONFIRM_KEY = "slipcheck.auto_confirm"


@dataclass(frozen=True, slots=True)
class SlipCheckSettings:
    """The owner's choice; ``provider`` "" means no online check."""

    provider: str = ""
    branch_id: str = ""
    base_url: str = ""
    timeout_s: float = DEFAULT_TIMEOUT
    auto_confirm: bool = False

    def service_config(self) -> ServiceConfig | None:
        if not self.provider:
            return None
        return ServiceConfig(
            Service(self.provider), self.base_url, self.branch_id, float(self.timeout_s)
        )


def load_settings(session: Session) -> SlipCheckSettings:
    """The stored settings (defaults where none were saved; an unknown provider reads as
    none)."""
    provider = str(shop.get_setting(session, PROVIDER_KEY, "") or "")
    if provider not in Service.__members__.values():
        provider = ""
    return SlipCheckSettings(
        provider=provider,
        branch_id=str(shop.get_setting(session, BRANCH_KEY, "") or ""),
        base_url=str(shop.get_setting(session, BASE_URL_KEY, "") or ""),
        timeout_s=float(shop.get_setting(session, TIMEOUT_KEY, DEFAULT_TIMEOUT) or 15),
        auto_confirm=bool(shop.get_setting(session, AUTO_CONFIRM_KEY, False)),
    )


def save_settings(
    session: Session,
    provider: str,
    *,
    branch_id: str = "",
    base_url: str = "",
    timeout_s: float | None = None,
    auto_confirm: bool = False,
) -> SlipCheckSettings:
    """Store the owner's choice. Raises :class:`UserError`: ``slipcheck.unknown_provider``,
    ``slipcheck.bad_url`` (not http(s)), ``slipcheck.bad_branch`` (SlipOK needs its branch id,
    digits), ``slipcheck.bad_timeout`` (outside 3–60 s)."""
    provider = provider.strip().lower()
    if provider in ("none", "off"):
        provider = ""
    if provider and provider not in Service.__members__.values():
        raise UserError(
            "slipcheck.unknown_provider",
            f"unknown slip service {provider!r}; use one of {', '.join(Service)} or none",
            provider=provider,
        )
    base_url = base_url.strip().rstrip("/")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise UserError(
            "slipcheck.bad_url", f"{base_url!r} is not an http(s) address", url=base_url
        )
    branch_id = branch_id.strip()
    if provider == Service.SLIPOK and not branch_id.isdigit():
        raise UserError(
            "slipcheck.bad_branch",
            f"SlipOK needs its branch id (digits, from the SlipOK LINE menu), not {branch_id!r}",
            branch=branch_id,
        )
    if timeout_s is not None and not 3 <= timeout_s <= 60:
        raise UserError("slipcheck.bad_timeout", "the slip check timeout must be 3 to 60 seconds")
    shop.put_setting(session, PROVIDER_KEY, provider)
    shop.put_setting(session, BRANCH_KEY, branch_id)
    shop.put_setting(session, BASE_URL_KEY, base_url)
    shop.put_setting(session, AUTO_CONFIRM_KEY, bool(auto_confirm))
    if timeout_s is not None:
        shop.put_setting(session, TIMEOUT_KEY, float(timeout_s))
    return load_settings(session)


# ---------------------------------------------------------------------------- the use case


@dataclass(frozen=True, slots=True)
class SlipCheckJob:
    """Everything a check needs, read in one unit of work (then no database while the
    service is asked)."""

    payload: str
    order_id: int
    order: OrderToPay
    targets: ShopTargets
    settings: SlipCheckSettings
    # Transaction refs already checked for this order (from the payments area's records):
    # the service's "duplicate" about one of them is our own earlier check, not a reuse.
    checked_refs: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SlipCheckResult:
    """What to record and what may follow.

    ``status`` ("passed" | "failed" | "error"), ``note`` (the reasons in Thai, one a line),
    ``amount_satang`` (what the bank says was sent, None if unknown) and ``at`` (when the
    check was made, aware UTC) are the arguments of the payments area's
    ``record_verification``; ``auto_confirm`` is True only when the owner turned on "confirm
    automatically", the service found the transfer and no rule stands against it."""

    order_id: int
    verdict: Verdict
    status: str
    note: str
    amount_satang: int | None
    at: dt.datetime
    auto_confirm: bool

    @property
    def check(self) -> OnlineCheck:
        return self.verdict.check

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.verdict.reasons

    def note_in(self, lang: str) -> str:
        return "\n".join(r.text(lang) for r in self.verdict.reasons)


def shop_targets(session: Session) -> ShopTargets:
    """The shop's bank account numbers and PromptPay id, from its profile."""
    profile = shop.get_profile(session)
    return ShopTargets(
        bank_accounts=tuple(a.account_number for a in profile.bank_accounts),
        promptpay_id=profile.promptpay_id,
    )


def prepare_check(
    session: Session,
    order_id: int,
    payload: str,
    *,
    checked_refs: frozenset[str] = frozenset(),
) -> SlipCheckJob:
    """Read the order (its number, total, when placed), the shop's accounts and the
    settings. ``checked_refs``: see :attr:`SlipCheckJob.checked_refs`. Raises ``NotFound``
    ``order.not_found``."""
    order = get_order(session, order_id)
    return SlipCheckJob(
        payload=payload.strip(),
        order_id=order.id,
        order=OrderToPay(order.number, order.total_satang, order.created_at),
        targets=shop_targets(session),
        settings=load_settings(session),
        checked_refs=checked_refs,
    )


async def run_check(
    job: SlipCheckJob,
    key: str | None,
    *,
    now: dt.datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SlipCheckResult:
    """Ask the chosen service about ``job``'s slip (once: no retries) and judge the answer
    against the order. ``key`` comes from the keyring. Never raises for the network or the
    service: those are a result with status "error"."""
    config = job.settings.service_config()
    if config is None:
        check = OnlineCheck(Outcome.ERROR, Code.NOT_SET_UP, "", "no provider")
    else:
        checker = SlipChecker(config, key, transport=transport)
        check = await checker.verify(job.payload, job.order.total_satang)
    at = now or dt.datetime.now(dt.UTC)
    verdict = judge(check, job.order, job.targets, now=at, checked_refs=job.checked_refs)
    return SlipCheckResult(
        order_id=job.order_id,
        verdict=verdict,
        status=verdict.outcome.value,
        note="\n".join(r.th for r in verdict.reasons),
        amount_satang=check.amount_satang,
        at=at,
        auto_confirm=job.settings.auto_confirm and verdict.passed,
    )


async def check_slip(
    db: Database,
    secrets: Secrets,
    order_id: int,
    payload: str,
    *,
    now: dt.datetime | None = None,
    checked_refs: frozenset[str] = frozenset(),
    transport: httpx.AsyncBaseTransport | None = None,
) -> SlipCheckResult:
    """:func:`prepare_check` then :func:`run_check`, with the key from ``secrets``."""
    with db.read() as session:
        job = prepare_check(session, order_id, payload, checked_refs=checked_refs)
    key = secrets.get(slip_key(job.settings.provider)) if job.settings.provider else None
    return await run_check(job, key, now=now, transport=transport)


async def test_connection(
    settings: SlipCheckSettings,
    key: str | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> OnlineCheck:
    """Ask the service about the account with these (maybe unsaved) settings and key:
    PASSED with the remaining quota in ``message``, or ERROR with why."""
    config = settings.service_config()
    if config is None:
        return OnlineCheck(Outcome.ERROR, Code.NOT_SET_UP, "", "no provider")
    return await SlipChecker(config, key, transport=transport).test_connection()


# ---------------------------------------------------------------------------- a recorded slip

AUTO_ACTOR = "slip check"  # who confirmed a payment the owner let the check confirm


@dataclass(frozen=True, slots=True)
class RecordedSlipJob:
    """The online check of one recorded slip, read in one unit of work: the job and the key
    (from the keyring) to run it with."""

    slip_id: int
    job: SlipCheckJob
    key: str | None


def _awaits_payment(session: Session, order_id: int) -> bool:
    order = get_order(session, order_id)
    closed = order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
    return order.payment_status == PaymentStatus.PENDING and not closed


def job_for_slip(session: Session, secrets: Secrets, slip_id: int) -> RecordedSlipJob | None:
    """What to ask the service about the recorded slip ``slip_id``, or None when there is
    nothing to ask: no service set up, no slip QR read from the picture, or the order is not
    waiting for its money any more. Transfers already checked online for the same order are
    passed along (the service's "duplicate" about them is our own earlier check)."""
    settings = load_settings(session)
    slip = slips.get_slip(session, slip_id)
    if not settings.provider or slip.check != SlipCheck.READ or not slip.qr_payload:
        return None
    if not _awaits_payment(session, slip.order_id):
        return None
    checked = frozenset(
        other.trans_ref
        for other in slips.slips_of(session, slip.order_id)
        if other.id != slip_id and other.verify_status and other.trans_ref
    )
    job = prepare_check(session, slip.order_id, slip.qr_payload, checked_refs=checked)
    return RecordedSlipJob(slip_id, job, secrets.get(slip_key(settings.provider)))


def record_check(session: Session, slip_id: int, result: SlipCheckResult) -> bool:
    """Keep the service's answer on the slip; when the owner allowed it and the check passed,
    confirm the payment (and thank the shopper) as the owner's click would. True when the
    order was confirmed. A payment recorded meanwhile is left as it is."""
    slips.record_verification(
        session, slip_id, result.status, result.note, result.amount_satang, result.at
    )
    if not result.auto_confirm:
        return False
    if not _awaits_payment(session, result.order_id):
        return False
    confirm_slip_payment(session, result.order_id, slip_id, AUTO_ACTOR, tell=True)
    return True
