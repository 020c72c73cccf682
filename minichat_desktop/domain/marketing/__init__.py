"""Reaching customers on purpose: broadcasts to segments."""
