"""Payments: the transfer slips shoppers send, what their check found, and (optionally) what a
slip-verification service answered.
"""
