"""MiniChat Desktop: the point of sale and chat manager for small Thai shops."""

__version__ = "0.1.0"
