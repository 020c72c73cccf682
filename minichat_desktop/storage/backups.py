"""Automatic encrypted backups: the shop's data survives a dead disk or ransomware.

A backup is a snapshot taken with SQLite's backup API (:meth:`Database.backup_to`, consistent
while orders are being placed), compressed and encrypted with AES-256-GCM under a key kept in
the OS keyring (:data:`KEY_SECRET`), written into a folder the owner chooses (another disk, a
USB drive, a cloud-synced folder), then **verified**: decrypted to a temporary file, opened,
``PRAGMA integrity_check`` must say ``ok`` and the counts must match the manifest.

File format (version 1, all integers big-endian)::

    magic      8 bytes   b"MCBACKUP"
    version    1 byte    1
    key id     8 bytes   first 8 bytes of SHA-256(b"minichat-backup-key/" + key)
    manifest   12-byte nonce, u32 length, AES-GCM ciphertext of UTF-8 JSON
    chunks     repeated: u32 length, 12-byte nonce, AES-GCM ciphertext of zlib(≤ 1 MiB of the
               database)

Every ciphertext is authenticated with the header (magic, version, key id) as associated data;
a chunk's associated data also carries its index and whether it is the last one, so a file
cut short, chunks swapped or a byte changed are all refused (:data:`CORRUPT`). The key id tells
"another key" (:data:`WRONG_KEY`) from damage before anything is decrypted. The manifest is
encrypted too (a cloud folder should not learn the shop's name or size) and small, so a
restore shows what a backup holds (shop name, time taken in UTC, app and schema version,
counts of products, orders and customers) without decrypting the database.

Recovery phrase: the 32-byte key plus the first 3 bytes of its SHA-256 (a checksum that
catches a mistyped character), in RFC 4648 base32 (A–Z and 2–7; 56 characters), written as 14
groups of 4 joined by dashes: ``ABCD-EFGH-…``. Reading one ignores case, spaces and dashes and
takes 0 for O and 1 for I.

Rotation (grandfather-father-son, :func:`to_keep`): of the backups of this key in the folder,
keep the newest of each of the 7 most recent days that have one, of the 4 most recent weeks
(ISO weeks) and of the 12 most recent months — days, weeks and months in Bangkok time. A
backup that did not verify never causes an older one to be deleted.

The backup folder and the last result are this computer's preferences, kept by the caller
(the app's ``desktop.ini``) as a :class:`BackupState`; this module takes and returns plain
values and imports no Qt.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from minichat_desktop import __version__, paths
from minichat_desktop.domain.thai import BANGKOK
from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.files import atomic_write

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from minichat_desktop.secrets import Secrets
    from minichat_desktop.storage.db import Database

log = logging.getLogger(__name__)

MAGIC = b"MCBACKUP"
VERSION = 1
KEY_SECRET = "backup.key"
SUFFIX = ".mcbak"
CHUNK = 1 << 20
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
EVERY = dt.timedelta(days=1)
RETRY_AFTER = dt.timedelta(hours=1)  # after a failure (a USB drive not plugged in)
RENOTIFY_AFTER = dt.timedelta(days=1)  # the same failure is told again after this long

# Error codes (UserError: the person can fix it; EnvironmentProblem: the folder or the disk).
WRONG_KEY = "backup.wrong_key"
CORRUPT = "backup.corrupt"
NOT_A_BACKUP = "backup.not_a_backup"
NEWER_FORMAT = "backup.newer_format"
BAD_PHRASE = "backup.bad_phrase"
NO_KEY = "backup.no_key"
FOLDER_MISSING = "backup.folder_missing"
FOLDER_FULL = "backup.folder_full"
WRITE_FAILED = "backup.write_failed"

_HEADER = struct.Struct(">8sB8s")
_U32 = struct.Struct(">I")
_NONCE = 12
_NAME = re.compile(r"^minichat-([0-9a-f]{16})-(\d{8}-\d{6})" + re.escape(SUFFIX) + "$")
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

Progress = Callable[[float], None]


# ---------------------------------------------------------------------------- keys and phrases


def new_key() -> bytes:
    return os.urandom(32)


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"minichat-backup-key/" + key).digest()[:8]


def load_key(secrets: Secrets, *, create: bool = True) -> bytes:
    """This data folder's backup key from the keyring; a new one is made and stored when there
    is none and ``create``. Raises :class:`UserError` :data:`NO_KEY` when there is none and
    not ``create``, :class:`EnvironmentProblem` ``env.keyring`` without a keyring."""
    stored = secrets.get(KEY_SECRET)
    if stored:
        return base64.urlsafe_b64decode(stored.encode())
    if not create:
        raise UserError(
            NO_KEY,
            "this computer has no backup key; give the backup's recovery phrase "
            "(--recovery-phrase-stdin)",
        )
    key = new_key()
    store_key(secrets, key)
    log.info("backups: a new backup key was made (id %s)", key_id(key).hex())
    return key


def store_key(secrets: Secrets, key: bytes) -> None:
    secrets.set(KEY_SECRET, base64.urlsafe_b64encode(key).decode())


def recovery_phrase(key: bytes) -> str:
    """The key as the owner writes it down: 14 groups of 4 base32 characters."""
    text = base64.b32encode(key + hashlib.sha256(key).digest()[:3]).decode()
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def key_from_phrase(phrase: str) -> bytes:
    """The key a recovery phrase stands for. Raises :class:`UserError` :data:`BAD_PHRASE`
    when it is not 56 base32 characters or its checksum does not match (a typo)."""
    text = re.sub(r"[\s\-]", "", phrase.upper()).replace("0", "O").replace("1", "I")
    if len(text) != 56 or any(c not in _B32 for c in text):
        raise UserError(
            BAD_PHRASE,
            f"a recovery phrase has 56 letters and digits 2-7 (14 groups of 4); "
            f"this one has {len(text)}: check it against the paper",
        )
    raw = base64.b32decode(text)
    key, check = raw[:32], raw[32:]
    if hashlib.sha256(key).digest()[:3] != check:
        raise UserError(
            BAD_PHRASE, "the recovery phrase has a typo (its checksum does not match): check it"
        )
    return key


# ---------------------------------------------------------------------------- the manifest


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds, readable before restoring."""

    shop_name: str
    taken_at: dt.datetime  # UTC
    app_version: str
    schema: str
    products: int
    orders: int
    customers: int
    db_bytes: int

    def to_json(self) -> bytes:
        data = {
            "shop_name": self.shop_name,
            "taken_at": self.taken_at.astimezone(dt.UTC).isoformat(),
            "app_version": self.app_version,
            "schema": self.schema,
            "products": self.products,
            "orders": self.orders,
            "customers": self.customers,
            "db_bytes": self.db_bytes,
        }
        return json.dumps(data, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        d = json.loads(raw)
        return cls(
            shop_name=str(d["shop_name"]),
            taken_at=dt.datetime.fromisoformat(d["taken_at"]),
            app_version=str(d["app_version"]),
            schema=str(d["schema"]),
            products=int(d["products"]),
            orders=int(d["orders"]),
            customers=int(d["customers"]),
            db_bytes=int(d["db_bytes"]),
        )

    def as_dict(self) -> dict[str, object]:
        return json.loads(self.to_json())  # type: ignore[no-any-return]


def describe(db_file: Path, taken_at: dt.datetime) -> Manifest:
    """The manifest of a database file (a snapshot: the counts are of one committed state)."""
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:

        def one(sql: str, default: object = "") -> object:
            try:
                row = con.execute(sql).fetchone()
            except sqlite3.DatabaseError:
                return default
            return default if row is None or row[0] is None else row[0]

        return Manifest(
            shop_name=str(one("SELECT name FROM shop ORDER BY id LIMIT 1")),
            taken_at=taken_at,
            app_version=__version__,
            schema=str(one("SELECT version_num FROM alembic_version")),
            products=int(str(one("SELECT count(*) FROM products", 0))),
            orders=int(str(one("SELECT count(*) FROM orders", 0))),
            customers=int(str(one("SELECT count(*) FROM customers", 0))),
            db_bytes=db_file.stat().st_size,
        )
    finally:
        con.close()


# ---------------------------------------------------------------------------- the file format


def _aesgcm(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _chunk_aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if last else 0)


def encrypt(
    db_file: Path, out: BinaryIO, key: bytes, manifest: Manifest, progress: Progress | None = None
) -> None:
    """Write the backup of ``db_file`` (a closed snapshot) to ``out``."""
    aes = _aesgcm(key)
    header = _HEADER.pack(MAGIC, VERSION, key_id(key))
    out.write(header)
    nonce = os.urandom(_NONCE)
    sealed = aes.encrypt(nonce, manifest.to_json(), header + b"manifest")
    out.write(nonce + _U32.pack(len(sealed)) + sealed)
    total = max(1, db_file.stat().st_size)
    done = 0
    with db_file.open("rb") as src:
        chunk = src.read(CHUNK)
        index = 0
        while True:
            following = src.read(CHUNK)
            last = not following
            nonce = os.urandom(_NONCE)
            sealed = aes.encrypt(nonce, zlib.compress(chunk, 6), _chunk_aad(header, index, last))
            out.write(_U32.pack(len(sealed)) + nonce + sealed)
            done += len(chunk)
            if progress is not None:
                progress(done / total)
            if last:
                return
            chunk, index = following, index + 1


def _corrupt(path: Path, why: str) -> UserError:
    return UserError(
        CORRUPT,
        f"the backup {path} is damaged ({why}); nothing was restored: choose another backup",
        path=str(path),
    )


def _read_exact(src: BinaryIO, n: int, path: Path) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise _corrupt(path, "the file is cut short")
    return data


def is_encrypted_backup(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _open_header(src: BinaryIO, path: Path, key: bytes | None) -> bytes:
    """Read and check the header; returns it. ``key`` None skips the key check."""
    raw = src.read(_HEADER.size)
    if len(raw) < len(MAGIC) or raw[: len(MAGIC)] != MAGIC:
        raise UserError(NOT_A_BACKUP, f"{path} is not a MiniChat encrypted backup", path=str(path))
    if len(raw) != _HEADER.size:
        raise _corrupt(path, "the file is cut short")
    _magic, version, kid = _HEADER.unpack(raw)
    if version > VERSION:
        raise UserError(
            NEWER_FORMAT,
            f"{path} was made by a newer MiniChat (backup format {version}); update MiniChat",
            path=str(path),
        )
    if key is not None and kid != key_id(key):
        raise UserError(
            WRONG_KEY,
            f"the backup {path} was made with another key: give the recovery phrase written "
            "down on the computer that made it",
            path=str(path),
        )
    return raw


def _read_manifest(src: BinaryIO, path: Path, key: bytes, header: bytes) -> Manifest:
    from cryptography.exceptions import InvalidTag

    nonce = _read_exact(src, _NONCE, path)
    (size,) = _U32.unpack(_read_exact(src, _U32.size, path))
    sealed = _read_exact(src, size, path)
    try:
        return Manifest.from_json(_aesgcm(key).decrypt(nonce, sealed, header + b"manifest"))
    except InvalidTag as exc:
        raise _corrupt(path, "its manifest does not check out") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise _corrupt(path, "its manifest cannot be read") from exc


def read_manifest(path: Path, key: bytes) -> Manifest:
    """What the backup at ``path`` holds. Raises :class:`UserError` (:data:`NOT_A_BACKUP`,
    :data:`WRONG_KEY`, :data:`CORRUPT`, :data:`NEWER_FORMAT`)."""
    try:
        with path.open("rb") as src:
            header = _open_header(src, path, key)
            return _read_manifest(src, path, key, header)
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: OSError) -> EnvironmentProblem:
    return EnvironmentProblem(
        "backup.unreadable", f"cannot read {path}: {exc.strerror or exc}", path=str(path)
    )


def decrypt(path: Path, key: bytes, target: Path, progress: Progress | None = None) -> Manifest:
    """Decrypt the backup ``path`` into the new file ``target``; returns its manifest. Every
    chunk is checked; a wrong key, a damaged or cut-short file raise :class:`UserError` (and
    ``target`` is then incomplete: the caller writes it in a temporary place)."""
    from cryptography.exceptions import InvalidTag

    aes = _aesgcm(key)
    try:
        total = max(1, path.stat().st_size)
        with path.open("rb") as src, target.open("wb") as out:
            header = _open_header(src, path, key)
            manifest = _read_manifest(src, path, key, header)
            index = 0
            while True:
                size_raw = src.read(_U32.size)
                if len(size_raw) != _U32.size:
                    raise _corrupt(path, "the file is cut short")
                (size,) = _U32.unpack(size_raw)
                nonce = _read_exact(src, _NONCE, path)
                sealed = _read_exact(src, size, path)
                last = src.tell() == total
                try:
                    plain = aes.decrypt(nonce, sealed, _chunk_aad(header, index, last))
                    out.write(zlib.decompress(plain))
                except InvalidTag as exc:
                    raise _corrupt(path, f"part {index + 1} does not check out") from exc
                except zlib.error as exc:
                    raise _corrupt(path, f"part {index + 1} cannot be unpacked") from exc
                if progress is not None:
                    progress(src.tell() / total)
                if last:
                    return manifest
                index += 1
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def check_database(db_file: Path, manifest: Manifest | None = None) -> str:
    """``"ok"`` when ``db_file`` passes ``PRAGMA integrity_check`` (and matches ``manifest``'s
    counts), else what is wrong."""
    try:
        con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            row = con.execute("PRAGMA integrity_check").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return f"not a database: {exc}"
    result = str(row[0]) if row else "no answer"
    if result != "ok" or manifest is None:
        return result
    seen = describe(db_file, manifest.taken_at)
    counts = (seen.products, seen.orders, seen.customers)
    if counts != (manifest.products, manifest.orders, manifest.customers):
        return f"counts {counts} differ from the manifest"
    return "ok"


# ---------------------------------------------------------------------------- the folder


@dataclass(frozen=True, slots=True)
class BackupFile:
    """A backup of this shop's key found in the folder."""

    path: Path
    taken_at: dt.datetime  # UTC, from the name
    size: int


def file_name(key: bytes, taken_at: dt.datetime) -> str:
    stamp = taken_at.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"minichat-{key_id(key).hex()}-{stamp}{SUFFIX}"


def list_backups(folder: Path, key: bytes | None = None) -> list[BackupFile]:
    """The backups in ``folder``, newest first (only those of ``key`` when given)."""
    found = []
    wanted = key_id(key).hex() if key is not None else None
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        m = _NAME.match(entry.name)
        if m is None or (wanted is not None and m.group(1) != wanted):
            continue
        taken = dt.datetime.strptime(m.group(2), "%Y%m%d-%H%M%S").replace(tzinfo=dt.UTC)
        with contextlib.suppress(OSError):
            found.append(BackupFile(entry, taken, entry.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def to_keep(
    times: Iterable[dt.datetime],
    daily: int = KEEP_DAILY,
    weekly: int = KEEP_WEEKLY,
    monthly: int = KEEP_MONTHLY,
) -> set[dt.datetime]:
    """Grandfather-father-son: of ``times`` (aware), the newest of each of the ``daily`` most
    recent days that have one, of the ``weekly`` most recent ISO weeks and of the ``monthly``
    most recent months (Bangkok calendar). The newest is always kept."""

    def periods(key: Callable[[dt.date], object], count: int) -> set[dt.datetime]:
        newest: dict[object, dt.datetime] = {}
        for t in sorted(times, reverse=True):
            period = key(t.astimezone(BANGKOK).date())
            if period not in newest:
                if len(newest) == count:
                    break
                newest[period] = t
        return set(newest.values())

    times = list(times)
    return (
        periods(lambda d: d, daily)
        | periods(lambda d: d.isocalendar()[:2], weekly)
        | periods(lambda d: (d.year, d.month), monthly)
    )


def rotate(folder: Path, key: bytes) -> list[Path]:
    """Delete this key's backups :func:`to_keep` does not keep; returns those deleted."""
    files = list_backups(folder, key)
    keep = to_keep([f.taken_at for f in files])
    gone = []
    for f in files:
        if f.taken_at not in keep:
            try:
                f.path.unlink()
                gone.append(f.path)
            except OSError as exc:
                log.warning("backups: could not delete the old backup %s: %s", f.path, exc)
    return gone


# ---------------------------------------------------------------------------- taking a backup


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    manifest: Manifest
    verified: bool
    check: str  # "ok", or what the verification found
    removed: tuple[Path, ...]


def _check_folder(folder: Path, need: int) -> None:
    if not folder.is_dir():
        raise EnvironmentProblem(
            FOLDER_MISSING,
            f"the backup folder {folder} is not there (a drive not plugged in?); plug it in "
            "or choose another folder in Settings → Backups",
            path=str(folder),
        )
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise EnvironmentProblem(
            FOLDER_MISSING,
            f"the backup folder {folder} cannot be read ({exc.strerror}); choose another "
            "folder in Settings → Backups",
            path=str(folder),
        ) from exc
    if free < need:
        raise EnvironmentProblem(
            FOLDER_FULL,
            f"the backup folder {folder} is full ({free // 1_000_000} MB free, "
            f"{need // 1_000_000 + 1} MB needed); free some space or choose another folder",
            path=str(folder),
        )


@contextlib.contextmanager
def _scratch(db: Database) -> Iterator[Path]:
    """A private temporary folder beside the live database (the plain snapshot is the shop's
    data: it stays where the database is, never in a shared temp folder)."""
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=db.path.parent) as tmp:
        yield Path(tmp)


def make_backup(
    db: Database,
    folder: Path,
    key: bytes,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> BackupResult:
    """Back the live database up into ``folder``, verify it and rotate the folder.

    Raises :class:`EnvironmentProblem` :data:`FOLDER_MISSING` (the folder is not there; it is
    never created, so an unplugged drive is noticed), :data:`FOLDER_FULL` (less free space
    than the database's size) or :data:`WRITE_FAILED`. A backup that does not verify is kept
    but deletes nothing (``verified`` False, ``check`` says why)."""
    now = now or dt.datetime.now(dt.UTC)
    report = progress or (lambda _f: None)
    with _scratch(db) as tmp:
        snapshot = db.backup_to(tmp / "snapshot.sqlite3")
        report(0.2)
        manifest = describe(snapshot, now)
        _check_folder(folder, snapshot.stat().st_size)
        target = folder / file_name(key, now)
        try:
            with atomic_write(target) as part, part.open("wb") as out:
                encrypt(snapshot, out, key, manifest, lambda f: report(0.2 + 0.5 * f))
        except OSError as exc:
            code = FOLDER_FULL if exc.errno == 28 else WRITE_FAILED  # ENOSPC
            raise EnvironmentProblem(
                code, f"cannot write the backup {target}: {exc.strerror or exc}", path=str(target)
            ) from exc
        snapshot.unlink()
        check = verify(target, key, tmp, lambda f: report(0.7 + 0.3 * f))
    verified = check == "ok"
    removed = tuple(rotate(folder, key)) if verified else ()
    size = target.stat().st_size
    log.info(
        "backups: %s written (%d bytes, %s), %d old ones removed",
        target,
        size,
        "verified" if verified else f"NOT verified: {check}",
        len(removed),
    )
    report(1.0)
    return BackupResult(target, size, manifest, verified, check, removed)


def verify(path: Path, key: bytes, scratch: Path, progress: Progress | None = None) -> str:
    """Decrypt ``path`` into ``scratch`` and check it: ``"ok"`` or what is wrong."""
    plain = scratch / "verify.sqlite3"
    try:
        manifest = decrypt(path, key, plain, progress)
        return check_database(plain, manifest)
    except UserError as exc:
        return exc.message
    finally:
        with contextlib.suppress(OSError):
            plain.unlink()


# ---------------------------------------------------------------------------- restoring


def open_backup(path: Path, key: bytes, scratch: Path) -> tuple[Path, Manifest]:
    """Decrypt and verify ``path`` into ``scratch``; returns the plain file and its manifest.
    Raises :class:`UserError` for a wrong key, a damaged file or a database that fails its
    check."""
    plain = scratch / "restore.sqlite3"
    manifest = decrypt(path, key, plain)
    check = check_database(plain, manifest)
    if check != "ok":
        raise _corrupt(path, f"the database inside fails its check: {check}")
    return plain, manifest


def restore(folder: Path, path: Path, key: bytes) -> tuple[Path, Manifest]:
    """Replace the database of the data folder ``folder`` with the encrypted backup ``path``.

    The backup is decrypted and verified first; then the current database is kept aside in
    ``backups/before-restore-*.sqlite3`` and the backup replaces it (SQLite's backup API, one
    transaction: nothing is half-restored). Raises :class:`UserError` (wrong key, damaged)
    with nothing changed."""
    from minichat_desktop.storage.db import restore_from

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=folder) as tmp:
        plain, manifest = open_backup(path, key, Path(tmp))
        _check_schema(path, plain)
        live = restore_from(folder, plain)
    log.info("backups: %s restored into %s (%s)", path, live, manifest.taken_at.isoformat())
    return live, manifest


def _check_schema(path: Path, plain: Path) -> None:
    """Refuse a backup this MiniChat cannot open (made by a newer one) before anything is
    replaced: the app would refuse the restored file at its next start."""
    from minichat_desktop.storage import migrate

    revision = migrate.current_revision(plain)
    _, known = migrate.known_revisions()
    if revision is not None and revision not in known:
        raise UserError(
            NEWER_FORMAT,
            f"{path} was made by a newer MiniChat (schema {revision}); update MiniChat, then "
            "restore it",
            path=str(path),
        )


# ---------------------------------------------------------------------------- the schedule


@dataclass(frozen=True, slots=True)
class BackupState:
    """The backup folder and what happened last (this computer's preferences)."""

    folder: Path | None = None
    last_at: dt.datetime | None = None  # last backup written (UTC)
    last_path: str = ""
    last_size: int = 0
    last_verified: bool = False
    last_check: str = ""
    failed_at: dt.datetime | None = None  # last failed attempt
    failed_code: str = ""
    failed_text: str = ""
    notified_at: dt.datetime | None = None

    FIELDS = (
        "folder",
        "last_at",
        "last_path",
        "last_size",
        "last_verified",
        "last_check",
        "failed_at",
        "failed_code",
        "failed_text",
        "notified_at",
    )

    def to_strings(self) -> dict[str, str]:
        """Every field as text (for an INI file)."""
        out = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                out[name] = value.astimezone(dt.UTC).isoformat()
            elif value is None:
                out[name] = ""
            elif isinstance(value, bool):
                out[name] = "1" if value else "0"
            else:
                out[name] = str(value)
        return out

    @classmethod
    def from_strings(cls, d: dict[str, str]) -> BackupState:
        def when(name: str) -> dt.datetime | None:
            text = d.get(name) or ""
            try:
                return dt.datetime.fromisoformat(text) if text else None
            except ValueError:
                return None

        folder = d.get("folder") or ""
        size = d.get("last_size") or "0"
        return cls(
            folder=Path(folder) if folder else None,
            last_at=when("last_at"),
            last_path=d.get("last_path") or "",
            last_size=int(size) if size.isdigit() else 0,
            last_verified=(d.get("last_verified") or "") in ("1", "true"),
            last_check=d.get("last_check") or "",
            failed_at=when("failed_at"),
            failed_code=d.get("failed_code") or "",
            failed_text=d.get("failed_text") or "",
            notified_at=when("notified_at"),
        )


def default_folder(data_dir: Path) -> Path:
    """Where backups go until the owner chooses a folder: beside the database (on the same
    disk, so Settings → Backups asks for another one)."""
    return paths.backups_dir(data_dir) / "encrypted"


def folder_of(state: BackupState, data_dir: Path) -> Path:
    return state.folder or default_folder(data_dir)


def due(state: BackupState, now: dt.datetime) -> bool:
    """Whether the daily backup is due at ``now``: the last one is a day old (or none was
    made), and no attempt failed in the last hour."""
    if state.failed_at is not None and now - state.failed_at < RETRY_AFTER:
        return False
    return state.last_at is None or now - state.last_at >= EVERY


def run(
    db: Database,
    secrets: Secrets,
    state: BackupState,
    now: dt.datetime,
    progress: Progress | None = None,
) -> tuple[BackupState, BackupResult | None]:
    """Take the backup (the schedule's and "back up now"): returns the new state to keep and
    the result (None when it failed). A failure (folder missing or full, keyring missing) is
    never silent: it is logged, kept in the state and told to the owner as a notification
    (the same failure again at most once a day); a backup that did not verify is told too."""
    data_dir = db.path.parent
    folder = folder_of(state, data_dir)
    try:
        if state.folder is None:  # our own folder (not a drive that went away): made here
            _make_own_folder(folder)
        key = load_key(secrets)
        result = make_backup(db, folder, key, now, progress)
    except (EnvironmentProblem, UserError) as exc:
        log.warning("backups: no backup made into %s: %s", folder, exc.message)
        failed = replace(state, failed_at=now, failed_code=exc.code, failed_text=exc.message)
        told = state.failed_code == exc.code and (
            state.notified_at is not None and now - state.notified_at < RENOTIFY_AFTER
        )
        if not told:
            _notify(db, ("สำรองข้อมูลไม่สำเร็จ", "Backup failed"), exc.message)
            failed = replace(failed, notified_at=now)
        return failed, None
    done = replace(
        state,
        last_at=now,
        last_path=str(result.path),
        last_size=result.size,
        last_verified=result.verified,
        last_check=result.check,
        failed_at=None,
        failed_code="",
        failed_text="",
    )
    if not result.verified:
        _notify(
            db,
            ("สำรองข้อมูลแล้วแต่ตรวจสอบไม่ผ่าน", "Backup did not verify"),
            f"{result.path}: {result.check}",
        )
    return done, result


def _make_own_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(
            WRITE_FAILED,
            f"cannot create the backup folder {folder}: {exc.strerror}",
            path=str(folder),
        ) from exc


def _notify(db: Database, title: tuple[str, str], body: str) -> None:
    """Tell the owner; ``title`` in Thai and in English (the body is the problem's own text)."""
    from minichat_desktop.domain.activity import notifications

    try:
        with db.write() as s:
            notifications.notify(
                s, notifications.NotificationKind.BACKUP, title[0], body, "backups",
                en=(title[1], body),
            )  # fmt: skip
    except EnvironmentProblem as exc:
        log.warning("backups: the owner could not be notified: %s", exc.message)
