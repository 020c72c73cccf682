"""The business of a shop: catalog, stock, orders, customers, payments. No Qt, no network."""
