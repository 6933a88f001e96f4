"""Webhooks, one feature: the signed event body and one delivery attempt (``signing``), deliveries queued and
retried in Redis (``queue``), and the job and batch events with the tenant's secret (``events``)."""
