"""The gateway's Redis layout in one place: every key name (``keys``) and how values read back as text (``values``)."""
