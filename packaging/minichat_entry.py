"""The frozen program's entry point: ``minichat`` as PyInstaller runs it.

``minichat __relay__ ARGS`` is the relay's own command line (``minichat-relay ARGS``): in the
frozen program ``sys.executable`` is this program, so the embedded relay
(minichat_desktop/embedded_relay.py) starts it that way instead of ``python -m relay``. It is
picked here, before the desktop's command line or anything of Qt is imported, so the relay
process loads only what it needs; the desktop package itself never imports the relay's
server (the layer contracts forbid it). Anything else is ``minichat``'s command line.
"""

import sys

RELAY_COMMAND = "__relay__"  # minichat_desktop.embedded_relay.FROZEN_RELAY_COMMAND


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == RELAY_COMMAND:
        from relay.cli import main as relay_main

        return relay_main(sys.argv[2:])
    from minichat_desktop.cli import main as minichat_main

    return minichat_main()


if __name__ == "__main__":
    sys.exit(main())
