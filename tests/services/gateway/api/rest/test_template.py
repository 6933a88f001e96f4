"""google.api.http path templates and the route table built from the real descriptors."""

from __future__ import annotations

import pytest

from services.gateway.api.rest.descriptors import load_surface
from services.gateway.api.rest.routes import Router
from services.gateway.api.rest.template import PathTemplate, TemplateError


def test_variables_literals_and_verbs():
    template = PathTemplate.parse("/v1/jobs/{job_id}:watch")
    assert template.verb == "watch" and [v.field_path for v in template.variables] == ["job_id"]
    assert template.match("/v1/jobs/abc:watch") == {"job_id": "abc"}
    assert template.match("/v1/jobs/abc") is None
    assert template.match("/v1/jobs/a/b:watch") is None
    assert template.openapi_path() == "/v1/jobs/{job_id}:watch"


def test_values_are_percent_decoded_per_segment():
    one = PathTemplate.parse("/v1/things/{name}")
    assert one.match("/v1/things/a%20b%2Fc") == {"name": "a b/c"}
    assert one.match("/v1/things/%C3%A9t%C3%A9") == {"name": "été"}
    with pytest.raises(ValueError):
        one.match("/v1/things/%FF")
    many = PathTemplate.parse("/v1/{name=shelves/*/books/**}:get")
    assert many.match("/v1/shelves/s1/books/a/b%2Fc:get") == {"name": "shelves/s1/books/a/b/c"}
    assert many.match("/v1/shelves/s1/tapes/a:get") is None
    assert many.openapi_path() == "/v1/{name}:get"


def test_nested_field_paths_and_wildcards():
    template = PathTemplate.parse("/v1/{parent.name}/*/items")
    assert template.match("/v1/p1/anything/items") == {"parent.name": "p1"}
    assert template.literal_count == 2


@pytest.mark.parametrize("text", ["v1/jobs", "/v1/{job_id", "/v1/{job-id}", "/v1/**/x", "/v1/{a}/{a}", "/v1/x:",
                                  "/v1/{a={b}}", "/v1/a*b"])
def test_bad_templates_are_refused(text):
    with pytest.raises(TemplateError):
        PathTemplate.parse(text)


def test_router_prefers_custom_verbs_and_reports_allowed_methods():
    router = Router(load_surface().methods)
    watch = router.match("GET", "/v1/jobs/j1:watch")
    assert watch.route.method.name == "WatchJob" and watch.path_vars == {"job_id": "j1"}
    assert router.match("GET", "/v1/jobs/j1").route.method.name == "GetJob"
    assert router.match("POST", "/v1/jobs").route.method.name == "CreateJob"
    assert router.match("GET", "/v1/jobs").route.method.name == "ListJobs"
    wrong = router.match("GET", "/v1/jobs/j1:finalize")
    assert wrong.route is None and wrong.allowed == ("POST",)
    assert set(router.match("PUT", "/v1/jobs").allowed) == {"GET", "POST"}
    assert router.match("GET", "/v2/jobs") == router.match("GET", "/")
    assert router.match("GET", "/v2/jobs").allowed == ()
