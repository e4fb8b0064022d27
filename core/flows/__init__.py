"""App Connect's call-logging flows: one module per route (create, update, disposition,
lookup) over one `Pipeline` (pipeline.py). Import from the modules themselves."""
