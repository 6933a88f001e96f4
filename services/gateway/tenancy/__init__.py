"""Who calls and how much: API keys and tenants, the tenant-name rule, the caller of a request, per-key rate
limits and job quotas, and the Redis concurrency slots they use."""
