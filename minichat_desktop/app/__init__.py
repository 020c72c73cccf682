"""The application layer: the use cases the screens, the CLI, the bot runner and the sync client
call; each takes an open session (the unit of work is opened by whoever runs it:
:class:`ui.ops.Ops <minichat_desktop.ui.ops.Ops>`, the CLI) and plain values, and returns
frozen dataclasses (or lists of them, or a plain value). What a unit of work changed is told by
the unit of work itself (:mod:`.changes`), so a use case never names the screens to refresh.

One module per business area: :mod:`.catalog`, :mod:`.sales` (the counter and orders),
:mod:`.customers` with the customers screen's read model :mod:`.customer_book`,
:mod:`.marketing` (broadcasts) and :mod:`.settings` (the sales bot, the website widget). This
package imports no Qt and nothing from ``ui/`` (the contracts in ``pyproject.toml``)."""
