"""CĐS indicator warehouse."""
