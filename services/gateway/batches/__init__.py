"""Batches: many photos from one CSV, zip or list of items, each a child job."""
