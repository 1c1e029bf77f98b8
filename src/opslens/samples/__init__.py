"""Sample event logs: the bundled ``complaints.csv`` and the demo generator in :mod:`.generate`."""
