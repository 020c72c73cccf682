"""The catalog: products, variants, categories, Thai search, and the stock ledger."""
