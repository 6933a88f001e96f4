"""REST for the public API, derived from the proto's google.api.http rules: the transcoder (path templates,
query parameters, JSON and multipart bodies, Server-Sent Events), the OpenAPI 3.1 document and the Envoy
grpc_json_transcoder configuration, all from the one generated descriptor set."""
