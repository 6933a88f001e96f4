"""The shared gRPC kit of the idphoto mesh: tensors and message conversion, the error mapping, one server host
(health, reflection, interceptors, metrics, graceful stop) and async clients for the internal services."""
