"""The tax point of a sale: when its VAT became due, recorded once as a fact.

Revenue Code s.78(1) (sale of goods): the tax point is the **delivery** of the goods, unless
before it the price was **received** or a **tax invoice was issued** (or ownership passed),
in which case it is that earlier event. A counter sale hands the goods over and takes the money
at once: its tax point is the **sale**. The shop's VAT return (ภ.พ.30) is filed per tax month
(s.83), so the VAT sales report counts each sale in the month of its tax point.

The tax point is written in the unit of work of the event that makes it (placing a counter
sale, recording the payment, issuing a tax invoice, marking the order delivered) and is never
changed afterwards: printing, reprinting or exporting later cannot move a sale between
months. Handing a parcel to a carrier is not the delivery to the buyer here: a shop that ships
cash-on-delivery records the delivery (and the money) when the carrier reports it. See
docs/adr/0008-tax-point.md.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from minichat_desktop.domain.models import Order


class TaxPointBasis(StrEnum):
    SALE = "sale"  # a counter sale: goods and money change hands at once
    PAYMENT = "payment"  # the price was received before delivery
    INVOICE = "invoice"  # a tax invoice was issued before payment and delivery
    DELIVERY = "delivery"  # the goods were delivered (before payment: COD, credit)


def record_tax_point(order: Order, at: dt.datetime, basis: TaxPointBasis) -> bool:
    """Record ``at`` (aware) as the order's tax point unless it already has one (the first
    event wins, for ever). True when this call recorded it."""
    if order.tax_point_at is not None:
        return False
    if at.tzinfo is None:
        raise ValueError("a tax point is an aware time")
    order.tax_point_at = at.astimezone(dt.UTC)
    order.tax_point_basis = basis.value
    return True
