"""Targets: App Connect's core in-process (`embedded`) or behind a server (`server`), behind
one contract (`base.Target`) with declared capabilities; `factory.open_target` chooses."""
