"""The demo shop: a believable catalog, customers, orders and chats, written through the domain's
own use cases.
"""
