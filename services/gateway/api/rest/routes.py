"""The route table: every (method, binding) of the surface, matched against a request's verb and raw path.

When a template with a custom verb (``/v1/jobs/{job_id}:watch``) fits the path, templates without one are not
considered: ``GET /v1/jobs/abc:watch`` is WatchJob and never GetJob with ``job_id="abc:watch"``, and
``GET /v1/jobs/abc:finalize`` is a 405. Among the rest, more literal segments win.
A path that fits some template but not with this HTTP method is a 405 listing the methods that would fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from services.gateway.api.rest.descriptors import HttpBinding, RestMethod


@dataclass(frozen=True)
class Route:
    method: RestMethod
    binding: HttpBinding

    @property
    def name(self) -> str:
        """A label for metrics and logs, e.g. "GET /v1/jobs/{job_id}"."""
        return f"{self.binding.verb} {self.binding.template.source}"


@dataclass(frozen=True)
class Match:
    route: Route | None = None
    path_vars: dict[str, str] | None = None
    allowed: tuple[str, ...] = ()       # set when the path fits other verbs only
    bad_path: str = ""                  # set when a variable's value could not be decoded


def raw_path(scope) -> str:
    """The request path as sent (percent-encoded), without the query string."""
    raw = scope.get("raw_path")
    if raw:
        return raw.decode("latin-1").split("?", 1)[0]
    return quote(scope.get("path", "/"), safe="/:@!$&'()*+,;=-._~")


class Router:
    def __init__(self, methods: tuple[RestMethod, ...]) -> None:
        routes = [Route(m, b) for m in methods for b in m.bindings]
        self.routes = sorted(routes, key=lambda r: (not r.binding.template.verb, -r.binding.template.literal_count))

    def match(self, verb: str, path: str) -> Match:
        fits: list[tuple[Route, dict[str, str]]] = []
        for route in self.routes:
            try:
                values = route.binding.template.match(path)
            except ValueError:
                return Match(route=route, bad_path=path)
            if values is not None:
                fits.append((route, values))
        if any(route.binding.template.verb for route, _ in fits):   # a custom verb is the more specific fit
            fits = [(route, values) for route, values in fits if route.binding.template.verb]
        for route, values in fits:
            if route.binding.verb == verb:
                return Match(route=route, path_vars=values)
        return Match(allowed=tuple(dict.fromkeys(route.binding.verb for route, _ in fits)))
