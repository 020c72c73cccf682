"""The application layer: the use cases the screens, the CLI, the bot runner and the sync client
call; each takes an open session (the unit of work is opened by whoever runs it: ui.ops.Ops, the
CLI) and plain values, and returns frozen dataclasses."""
