"""Widgets and dialogs. They call services through async slots and never do I/O themselves."""
