"""Domain services: each owns its transactions and rules."""
