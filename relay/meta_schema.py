"""The tables of Meta's state (relay/meta_store.py), made by :class:`relay.storage.Store`
with its own: this module imports nothing, so the stores can import it. The PostgreSQL store
has its copy of them in relay/pg_schema.py, versioned (a change made here reaches PostgreSQL
only as an upgrade step there: tests/e2e/relay/test_pg_schema_versions.py compares the two)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta_accounts(
    shop_id TEXT PRIMARY KEY,
    app_secret BLOB NOT NULL,
    page_token BLOB NOT NULL,
    verify_token BLOB NOT NULL
) WITHOUT ROWID;
-- Meta webhook bodies, stored (after the signature check) before the 200
CREATE TABLE IF NOT EXISTS meta_inbox(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta_events(
    shop_id TEXT NOT NULL,
    key TEXT NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY(shop_id, key)
) WITHOUT ROWID;
-- the shopper's last message or postback (Meta's time, seconds): the 24-hour window
CREATE TABLE IF NOT EXISTS meta_windows(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    last_in REAL NOT NULL,
    PRIMARY KEY(shop_id, conversation)
) WITHOUT ROWID;
-- shop -> Meta: a message until all its Send API requests went (``done`` of them so far)
CREATE TABLE IF NOT EXISTS meta_outbox(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    message TEXT NOT NULL,
    kind TEXT NOT NULL,  -- {"messaging_type": ..., "tag": ...} as decided when accepted
    done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS meta_outbox_conv ON meta_outbox(shop_id, conversation, id);
CREATE TABLE IF NOT EXISTS meta_sent(
    shop_id TEXT NOT NULL,
    mid TEXT NOT NULL,
    conversation TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    sent_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'sent',
    PRIMARY KEY(shop_id, mid)
) WITHOUT ROWID;
-- every page or Instagram comment the relay passed on: where it was written (the private
-- reply goes through that account) and when (Meta allows a private reply within 7 days)
CREATE TABLE IF NOT EXISTS meta_comments(
    shop_id TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    account_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY(shop_id, comment_id)
) WITHOUT ROWID;
-- when the relay last fetched a shopper's profile (Messenger, Instagram and LINE alike:
-- relay/profiles.py), so it asks again only after PROFILE_MAX_AGE
CREATE TABLE IF NOT EXISTS shopper_profiles(
    shop_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    PRIMARY KEY(shop_id, conversation)
) WITHOUT ROWID;
"""
TABLES = (
    "meta_accounts",
    "meta_inbox",
    "meta_events",
    "meta_windows",
    "meta_outbox",
    "meta_sent",
    "meta_comments",
    "shopper_profiles",
)
