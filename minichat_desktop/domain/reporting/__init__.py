"""Figures for the owner and the accountant: the dashboard and reports."""
