"""The MiniChat relay: connects shoppers (web widget, LINE) to each shop's desktop."""
