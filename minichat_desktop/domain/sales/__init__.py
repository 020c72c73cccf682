"""Selling: orders and their states, the counter (POS), what the owner does to an order, telling
the shopper, and issuing tax documents.
"""
