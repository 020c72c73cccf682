"""Customers across channels, their profile and RFM segments."""
