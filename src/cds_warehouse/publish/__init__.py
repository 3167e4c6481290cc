"""What the warehouse publishes from its marts for people without a SQL client: open data (open_data.py)."""
