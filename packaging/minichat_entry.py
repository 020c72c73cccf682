"""The frozen program's entry point: ``minichat`` as PyInstaller runs it.

``minichat __relay__ ARGS`` is the relay's own command line (``minichat-relay ARGS``): in the
frozen program ``sys.executable`` is this program, so the embedded relay
(minichat_desktop/embedded_relay.py) starts it that way instead of ``python -m relay``. It is
picked here, before the desktop's command line or anything of Qt is imported, so the relay
process loads only what it needs; the desktop package itself never imports the relay's
server (the layer contracts forbid it). Anything else is ``minichat``'s command line.
"""

import os
import sys

RELAY_COMMAND = "__relay__"  # minichat_desktop.embedded_relay.FROZEN_RELAY_COMMAND


def system_library_path() -> None:
    """Let the programs MiniChat starts (the browser for the demo page, the file manager for
    "open folder", through xdg-open) load the system's libraries, not the bundle's.

    On Linux PyInstaller's bootloader points LD_LIBRARY_PATH at the bundle for this process,
    which has already started with it, and keeps the person's own value in
    LD_LIBRARY_PATH_ORIG (PyInstaller's "Common Issues and Pitfalls": launching external
    programs). Left as it is, every child would load our copies of libglib, libstdc++… over
    the system's and could fail. A frozen MiniChat started as a child (the relay) sets its own
    again at start."""
    if not sys.platform.startswith("linux"):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


def main() -> int:
    system_library_path()
    if len(sys.argv) > 1 and sys.argv[1] == RELAY_COMMAND:
        from relay.cli import main as relay_main

        return relay_main(sys.argv[2:])
    from minichat_desktop.cli import main as minichat_main

    return minichat_main()


if __name__ == "__main__":
    sys.exit(main())
