"""Worker processes (``python -m services.gateway.worker``): claim work items and run Stage A or Stage B through
the gRPC clients, settle jobs, and run the chores (webhook deliveries, retention janitor) between them."""
