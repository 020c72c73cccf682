"""The first notification sound must not freeze the app while a worker imports.

Qt Multimedia's FFmpeg backend is loaded by the first ``QSoundEffect`` (the first chat's
sound). While the dynamic loader loads it, it looks for the VA-API and PipeWire libraries and
words each failure with ``tr()``, that is through the installed translator, with the loader's
lock held. Meanwhile a worker thread that imports an extension module (the backup's
cryptography, the bot's PyThaiNLP) holds the GIL and waits for that lock. A translator
written in Python waits for the GIL: neither thread moves again, and the window, the relay link
and the bot all stop. It happened in the demo loop's end-to-end test on a loaded machine.

Here a worker opens a shared library in a loop (``ctypes.CDLL``: the same lock, taken with the
GIL held, as an import does) while the window makes its first sound, in a process of its own
with the Thai translator installed. With the old translator the process hung every time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import ctypes, sys, threading, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow
    from minichat_desktop.ui import i18n

    app = QApplication(sys.argv)
    i18n.set_language("th")
    window = QMainWindow()
    window.show()
    opened = [0]

    def worker():
        while True:
            ctypes.CDLL("libc.so.6")
            opened[0] += 1

    def first_sound():
        threading.Thread(target=worker, daemon=True).start()
        while opened[0] < 100:
            time.sleep(0.001)
        from PySide6.QtMultimedia import QSoundEffect

        QSoundEffect(window)
        print("sound ready; the worker opened", opened[0], flush=True)
        app.quit()

    QTimer.singleShot(100, first_sound)
    app.exec()
    """
)


def test_first_sound_while_a_worker_loads_a_library(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        # Qt says which libraries it could not load: the failures that call tr() under the lock
        "QT_LOGGING_RULES": "qt.multimedia.symbolsresolver.debug=true",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("the app froze making its first sound while a worker loaded") from exc
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sound ready" in done.stdout
    # The case the test is about happened: the backend failed to load a library as it loaded.
    assert "Couldn't load" in done.stderr, done.stderr[-2000:]
