"""`minichat flows test/list/export/import` as real processes: the example script passes, a
script with a wrong expectation exits 2 naming the step, and a flow travels between shops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]
ENV = {**os.environ, "PYTHON_KEYRING_BACKEND": "minichat_desktop.keyring_memory.MemoryKeyring"}
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "flows" / "example_discovery.json"


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=ENV,
        encoding="utf-8",
    )


def test_example_script_passes_and_prints_the_transcript(tmp_path: Path) -> None:
    res = run(tmp_path / "shop", "flows", "test", str(EXAMPLE))
    assert res.returncode == 0, res.stdout + res.stderr
    script = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    n = len(script["steps"])
    assert f"all {n} steps passed" in res.stdout
    assert "👤 ช่วยเลือกเสื้อให้หน่อยค่ะ" in res.stdout
    assert "🛍  เสื้อยืดคอกลม  ฿290.00" in res.stdout
    assert "ส่วนลด -฿14.50" in res.stdout  # the abandoned-cart code, in the cart
    assert "ขอบคุณมากสำหรับ 5 ดาว" in res.stdout
    assert not (tmp_path / "shop").exists()  # the real data folder is never touched


def test_failing_script_exits_2_naming_the_step(tmp_path: Path) -> None:
    script = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    script["steps"] = script["steps"][:3]
    script["steps"][2]["expect"] = "ชอบไซส์ไหน"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(script, ensure_ascii=False), encoding="utf-8")
    res = run(tmp_path / "shop", "flows", "test", str(bad))
    assert res.returncode == 2
    assert "step 3 failed: expected 'ชอบไซส์ไหน'" in res.stderr
    assert "✗ step 3" in res.stdout and "✓ step 2" in res.stdout
    assert "Traceback" not in res.stderr


def test_bad_scripts_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"steps": [', encoding="utf-8")
    res = run(tmp_path / "shop", "flows", "test", str(broken))
    assert res.returncode == 2 and "is not valid JSON: line 1" in res.stderr
    bad_flow = tmp_path / "bad_flow.json"
    bad_flow.write_text(
        json.dumps(
            {
                "flows": [
                    {
                        "name": "x",
                        "trigger": {"type": "keyword", "keywords": ["x"]},
                        "nodes": [{"id": "a", "type": "message", "text": "hi", "next": "b"}],
                    }
                ],
                "steps": [],
            }
        ),
        encoding="utf-8",
    )
    res = run(tmp_path / "shop", "flows", "test", str(bad_flow))
    assert res.returncode == 2
    assert "flows[1]: node 1 (a): next names no node 'b'" in res.stderr
    res = run(tmp_path / "shop", "flows", "test", str(tmp_path / "missing.json"))
    assert res.returncode == 2 and "no such file" in res.stderr


def test_list_export_import(tmp_path: Path) -> None:
    shop, other = tmp_path / "shop", tmp_path / "other"
    res = run(shop, "flows", "list", "--json")
    assert res.returncode == 0, res.stderr
    listed = json.loads(res.stdout)
    assert sorted(f["builtin"] for f in listed) == [
        "abandoned_cart",
        "product_discovery",
        "review_request",
    ]
    review = next(f for f in listed if f["builtin"] == "review_request")
    out = tmp_path / "review.json"
    res = run(shop, "flows", "export", str(review["id"]), str(out))
    assert res.returncode == 0, res.stderr
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["trigger"] == {"type": "event", "event": "order_delivered"}
    res = run(other, "flows", "import", str(out))
    assert res.returncode == 0, res.stderr
    res = run(other, "flows", "list")
    assert res.stdout.count("ขอรีวิวหลังได้รับสินค้า") == 2  # the built-in and the import
    assert "[built-in review_request]" in res.stdout
    res = run(shop, "flows", "export", "999", str(out))
    assert res.returncode == 2 and "no flow 999" in res.stderr


def test_a_flow_with_positions_round_trips_and_an_old_file_imports(tmp_path: Path) -> None:
    """What the canvas stores (each step's ``pos`` and ``step_name``, an answer button's own
    ``next``) leaves with ``export`` and comes back with ``import``; a file written before the
    canvas (no positions) still imports, as it was."""
    shop, other = tmp_path / "shop", tmp_path / "other"
    drawn = {
        "name": "วาดบนผัง",
        "enabled": True,
        "trigger": {"type": "keyword", "keywords": ["ผัง"]},
        "nodes": [
            {
                "id": "s1",
                "type": "question",
                "text": "รับแบบไหนคะ",
                "var": "how",
                "kind": "choice",
                "choices": [{"label": "ส่ง", "value": "ship", "next": "s2"}],
                "next": "",
                "pos": [0, 0],
                "step_name": "ถามวิธีรับ",
            },
            {"id": "s2", "type": "message", "text": "ขอที่อยู่ค่ะ", "next": "", "pos": [300, 40]},
        ],
    }
    source = tmp_path / "drawn.json"
    source.write_text(json.dumps(drawn, ensure_ascii=False), encoding="utf-8")
    res = run(shop, "flows", "import", str(source))
    assert res.returncode == 0, res.stderr
    listed = json.loads(run(shop, "flows", "list", "--json").stdout)
    new_id = next(f["id"] for f in listed if f["name"] == "วาดบนผัง")
    out = tmp_path / "out.json"
    res = run(shop, "flows", "export", str(new_id), str(out))
    assert res.returncode == 0, res.stderr
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["nodes"][0]["pos"] == [0, 0] and exported["nodes"][1]["pos"] == [300, 40]
    assert exported["nodes"][0]["step_name"] == "ถามวิธีรับ"
    assert exported["nodes"][0]["choices"][0]["next"] == "s2"
    res = run(other, "flows", "import", str(out))
    assert res.returncode == 0, res.stderr
    old = {
        "name": "ไฟล์เก่า",
        "trigger": {"type": "keyword", "keywords": ["เก่า"]},
        "nodes": [{"id": "a", "type": "message", "text": "สวัสดี", "next": ""}],
    }
    old_file = tmp_path / "old.json"
    old_file.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    res = run(other, "flows", "import", str(old_file))
    assert res.returncode == 0, res.stderr
    listed = json.loads(run(other, "flows", "list", "--json").stdout)
    names = [f["name"] for f in listed]
    assert "วาดบนผัง" in names and "ไฟล์เก่า" in names
    res = run(
        other,
        "flows",
        "export",
        str(next(f["id"] for f in listed if f["name"] == "ไฟล์เก่า")),
        str(out),
    )
    assert json.loads(out.read_text(encoding="utf-8"))["nodes"] == [
        {**old["nodes"][0], "buttons": []}  # as before the canvas: no position added
    ]
