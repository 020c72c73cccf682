"""What a unit of work changed, in the words the screens listen for.

The storage layer reports the tables a committed unit of work wrote
(:meth:`minichat_desktop.storage.db.Database.subscribe`, ``session.info[CHANGED]``); this module
turns them into *topics* — ``"catalog"``, ``"orders"``, ``"conversations"``… — so a screen
refreshes when what it shows changed, whoever changed it, and no caller has to name them.
Domain rules come along by themselves: cancelling an order writes stock movements, so the
catalog's figures refresh too.
"""

from __future__ import annotations

from collections.abc import Iterable

# A table missing here changes no topic (sequences, audit log, analytics events…).
TOPICS_OF_TABLE: dict[str, frozenset[str]] = {
    table: frozenset(topics)
    for table, topics in {
        "shop": {"shop"},
        "bank_accounts": {"shop"},
        "vat_rates": {"shop"},
        "settings": {"shop"},
        "categories": {"catalog"},
        "products": {"catalog"},
        "product_variants": {"catalog"},
        "stock_movements": {"catalog"},
        "product_reviews": {"catalog"},
        "customers": {"customers"},
        "customer_identities": {"customers"},
        "customer_scores": {"customers"},
        "orders": {"orders"},
        "order_items": {"orders"},
        "order_notes": {"orders"},
        "order_events": {"orders"},
        "order_payments": {"orders", "pos"},
        "payment_slips": {"orders"},  # a slip recorded or checked (online too)
        "shifts": {"pos"},
        "cash_movements": {"pos"},
        "held_sales": {"pos"},
        "tax_documents": {"documents", "orders"},
        "refunds": {"orders", "pos"},
        "refund_lines": {"orders"},
        "conversations": {"conversations"},
        "messages": {"conversations"},
        "outbox": {"conversations", "outbox"},
        "notifications": {"notifications"},
        "canned_responses": {"canned"},
        "discount_codes": {"discounts"},
        "bot_contexts": {"bot"},
        "carts": {"bot"},
        "cart_items": {"bot"},
        "flows": {"flows"},
        "flow_runs": {"flows"},
        "broadcasts": {"broadcasts"},
        "broadcast_recipients": {"broadcasts"},
        "live_sessions": {"live"},
        "live_products": {"live"},
        "live_carts": {"live"},
        "live_cart_items": {"live"},
        "live_comments": {"live"},
    }.items()
}


def topics_of(tables: Iterable[str]) -> frozenset[str]:
    """The topics that changed when ``tables`` were written."""
    out: set[str] = set()
    for table in tables:
        out |= TOPICS_OF_TABLE.get(table, frozenset())
    return frozenset(out)


def wakes_relay(tables: Iterable[str]) -> bool:
    """Whether something now waits in the outbox for the relay link to send."""
    return "outbox" in tables
