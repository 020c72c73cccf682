"""The sales bot's understanding: intents and entities (nlu), the catalog matcher, the
per-conversation context, recommendations and their template phrasing.

Pure domain: no Qt, no network. The AI providers and the dialogue engine live elsewhere and
call in here.
"""
