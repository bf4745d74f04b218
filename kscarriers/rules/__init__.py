"""Platform rules."""
