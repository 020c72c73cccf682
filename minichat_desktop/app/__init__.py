"""The application layer: the use cases the screens, the CLI, the bot runner and the sync client
call; each takes an open session (the unit of work is opened by whoever runs it:
:class:`ui.ops.Ops <minichat_desktop.ui.ops.Ops>`, the CLI) and plain values, and returns
frozen dataclasses (or lists of them, or a plain value).

One module per business area: :mod:`.catalog`, :mod:`.sales` (the counter and orders),
:mod:`.customers`, :mod:`.marketing` (broadcasts) and :mod:`.settings` (the sales bot, the
website widget). This package imports no Qt and nothing from ``ui/``
(``tests/unit/test_layers.py`` checks)."""
