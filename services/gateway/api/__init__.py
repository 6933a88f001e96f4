"""The gateway's transports — the only part that imports grpc and starlette: the IdPhotoService servicer, the REST
transcoder derived from the google.api.http rules, the HTTP side (health, metrics, downloads) and the web page."""
