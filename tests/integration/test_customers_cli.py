"""``minichat customers rfm|export`` and ``minichat broadcasts send-due|list`` on the demo shop,
as real processes."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.storage.db import Database

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=90
    )


def test_rfm_export_and_send_due(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    assert run(data, "demo-data").returncode == 0
    done = run(data, "customers", "rfm")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["customers"] == sum(summary["segments"].values()) > 0
    champions = summary["segments"].get("champions", 0)
    out = tmp_path / "champions.csv"
    done = run(data, "customers", "export", str(out), "--segment", "champions")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == champions + 1
    assert {r[5] for r in rows[1:]} <= {"ลูกค้าชั้นยอด"}
    bad = run(data, "customers", "export", str(tmp_path / "c.pdf"))
    assert bad.returncode == 2 and "use a .xlsx or .csv" in bad.stderr
    bad = run(data, "customers", "export", str(out), "--segment", "vip")
    assert bad.returncode == 2 and "unknown segment 'vip'" in bad.stderr

    db = Database.open(data, backup=False)
    try:
        with db.write() as s:
            convs.record_inbound(
                s, "widget:cli-session-1", {"id": "x", "kind": "text", "text": "สวัสดี"}
            )
            b = bc.create_broadcast(s, "owner", title="cli", text="ของใหม่มาแล้วค่ะ")
            bc.send_now(s, b.id, "owner", dt.datetime.now(dt.UTC))
    finally:
        db.dispose()
    done = run(data, "broadcasts", "send-due")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["queued"] >= 1 and report["finished"] == [b.id]
    listed = [json.loads(line) for line in run(data, "broadcasts", "list").stdout.splitlines()]
    assert listed[0]["status"] == "sent" and listed[0]["recipients"]["sent"] == report["queued"]
