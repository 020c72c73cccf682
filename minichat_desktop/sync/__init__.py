"""The relay client: asyncio, no widgets."""
