"""Conversations with shoppers: messages, the outbox, takeover, and the inbox's first reads."""
