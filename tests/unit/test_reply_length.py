"""A reply's length is counted in UTF-16 units, as the relay, the widget and LINE count."""

from __future__ import annotations

import datetime as dt

import pytest

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database


def test_a_reply_over_5000_utf16_units_is_refused_before_the_outbox(db: Database) -> None:
    """2,500 emoji (5,000 units) go out; 2,501 (2,501 characters, 5,002 units) are refused
    with message.too_long and nothing is queued."""
    with db.write() as s:
        at = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
        rec = convs.record_inbound(s, "line:U" + "0" * 32, {"id": "in1", "kind": "text"}, at)
        assert rec is not None
        conv_id = rec.conversation.id
        convs.send_text(s, conv_id, "😀" * 2500, "owner")
        with pytest.raises(UserError) as refused:
            convs.send_text(s, conv_id, "😀" * 2501, "owner")
        assert refused.value.code == "message.too_long"
        assert len(convs.pending_outbox(s)) == 1
