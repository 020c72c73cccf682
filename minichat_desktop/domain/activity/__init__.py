"""What happened in the shop: the owner's notifications and analytics events."""
