"""The Envoy grpc_json_transcoder config under deploy/envoy is the generator's output for the current descriptor
set, routes every HTTP rule and the gRPC service, and its descriptor set resolves the error details."""

from __future__ import annotations

from pathlib import Path

import yaml
from google.protobuf import descriptor_pb2, descriptor_pool

from services.gateway.api.rest.descriptors import load_surface
from services.gateway.api.rest.envoy import envoy_config, envoy_descriptor_set, main

ROOT = Path(__file__).resolve().parents[5]
COMMITTED = ROOT / "deploy" / "envoy" / "envoy.yaml"
TRANSCODER = "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder"


def _manager(config: dict) -> dict:
    return config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]


def test_committed_config_is_generated_from_the_descriptor_set():
    assert COMMITTED.read_text() == envoy_config(load_surface()), \
        "regenerate: python -m services.gateway.api.rest.envoy config > deploy/envoy/envoy.yaml"


def test_config_routes_every_rule_to_the_gateway_over_http2():
    surface = load_surface()
    config = yaml.safe_load(COMMITTED.read_text())
    manager = _manager(config)
    prefixes = [r["match"]["prefix"] for r in manager["route_config"]["virtual_hosts"][0]["routes"]]
    for method in surface.methods:
        for binding in method.bindings:
            assert any(binding.template.source.startswith(p) for p in prefixes), binding.template.source
    assert "/idphoto.v1.IdPhotoService/" in prefixes
    transcoder = next(f for f in manager["http_filters"] if f["name"].endswith("grpc_json_transcoder"))
    settings = transcoder["typed_config"]
    assert settings["@type"] == TRANSCODER and settings["services"] == list(surface.services)
    assert settings["convert_grpc_status"] is True
    assert settings["print_options"]["preserve_proto_field_names"] is False
    cluster = config["static_resources"]["clusters"][0]
    protocol = cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
    assert "http2_protocol_options" in protocol["explicit_http_config"]
    assert manager["http_filters"][-1]["name"] == "envoy.filters.http.router"


def test_descriptor_for_envoy_holds_the_service_and_the_error_details(tmp_path):
    target = tmp_path / "idphoto.pb"
    assert main(["descriptor", str(target)]) == 0
    assert target.read_bytes() == envoy_descriptor_set()
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(target.read_bytes()).file:
        pool.Add(file)                                      # every dependency comes before its dependents
    assert pool.FindMethodByName("idphoto.v1.IdPhotoService.WatchJob").server_streaming
    assert pool.FindMessageTypeByName("google.rpc.ErrorInfo").fields_by_name["reason"]
    assert pool.FindMessageTypeByName("google.rpc.Status")
