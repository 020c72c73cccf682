"""The sales bot's AI providers (Ollama, OpenRouter, Groq, Anthropic) over httpx: the only part
of the bot that talks to the network. The bot sells without them; with one it understands
unsure messages better and words its answers more naturally, from database facts only."""
