"""Changing the relay key (``minichat-relay rotate-key``; docs/deploy.md, "Changing the key").

The relay key seals every shop's LINE and Facebook/Instagram credentials in the store. The
relay takes several keys (relay/storage.py ``existing_key``: the first seals, every one
opens), so a key is changed without losing a message:

1. give every relay process the new key first and the old one after it, and restart them
   (one by one: on PostgreSQL the others go on serving);
2. ``rotate-key`` seals every credential again with the first key;
3. drop the old key from the list and restart the processes again.

``rotate-key`` first opens every sealed value with the keys it was given and changes nothing
if one does not open (naming the shops): a half-changed store would leave those shops unable
to send. On PostgreSQL each shop's row is written under its shop's lock, as the relays do.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import InvalidToken

from relay.meta_store import MetaStore
from relay.storage import Store, StoreError


class KeysDoNotOpen(StoreError):
    """A stored credential opens with none of the keys given (the operator gives the right
    ones): nothing was changed."""


@dataclass(frozen=True)
class Resealed:
    line_shops: int  # shops whose LINE channel secret and token were sealed again
    meta_shops: int  # shops whose Facebook / Instagram credentials were


def reseal_all(store: Store) -> Resealed:
    """Seal every stored credential again with the store's first key, committed."""
    line = [
        (str(r[0]), bytes(r[1]), bytes(r[2]))
        for r in store.query(
            "SELECT id, line_secret, line_token FROM shops"
            " WHERE line_secret IS NOT NULL AND line_token IS NOT NULL"
        )
    ]
    meta = [
        (str(r[0]), bytes(r[1]), bytes(r[2]), bytes(r[3]))
        for r in store.query(
            "SELECT shop_id, app_secret, page_token, verify_token FROM meta_accounts"
        )
    ]
    new_line: list[tuple[str, list[bytes]]] = []
    new_meta: list[tuple[str, list[bytes]]] = []
    closed: list[str] = []
    for rows, out in ((line, new_line), (meta, new_meta)):
        for shop_id, *sealed in rows:
            try:
                out.append((shop_id, [store.reseal(s) for s in sealed]))
            except InvalidToken:
                closed.append(shop_id)
    if closed:
        shown = ", ".join(sorted(set(closed))[:10]) + (" …" if len(set(closed)) > 10 else "")
        raise KeysDoNotOpen(
            f"none of the keys given opens the credentials of {len(set(closed))} shop(s)"
            f" ({shown}): nothing was changed. Give the key that sealed them too (after the new"
            " one), or clear those shops' credentials (shops line SHOP_ID --clear, shops meta"
            " SHOP_ID --clear) and set them again"
        )
    writer = MetaStore(store)  # (its writes take the shop's lock on PostgreSQL)
    for shop_id, (secret, token) in new_line:
        writer.write(
            "UPDATE shops SET line_secret=?, line_token=? WHERE id=?",
            (secret, token, shop_id),
            shop_id,
        )
    for shop_id, (app_secret, page_token, verify_token) in new_meta:
        writer.write(
            "UPDATE meta_accounts SET app_secret=?, page_token=?, verify_token=? WHERE shop_id=?",
            (app_secret, page_token, verify_token, shop_id),
            shop_id,
        )
    store.commit()
    return Resealed(len(new_line), len(new_meta))
