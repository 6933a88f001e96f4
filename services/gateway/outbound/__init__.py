"""Reaching out to caller-given URLs: syntax rules when a request is accepted, and a fetch that cannot reach the
platform's own network (SSRF rules)."""
