"""The one error table: every code is defined once, under its own class name, with a valid gRPC status."""

import ast
from pathlib import Path

import grpc

import idphoto.errors as errors

SOURCE = Path(errors.__file__).read_text()


def test_every_error_is_defined_exactly_once():
    assigned = [t.id for node in ast.parse(SOURCE).body if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name) and t.id.endswith("Error")]
    assert len(assigned) == len(set(assigned)), sorted(n for n in assigned if assigned.count(n) > 1)


def test_codes_are_unique_and_statuses_exist():
    classes = [getattr(errors, name) for name in dir(errors) if name.endswith("Error")
               and isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), errors.IdPhotoError)
               and getattr(errors, name) is not errors.IdPhotoError]           # the base reports as INTERNAL
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    for cls in classes:
        assert hasattr(grpc.StatusCode, cls.grpc_status), cls
        assert errors.ERROR_TABLE[cls.code] is cls
        assert 400 <= cls.http_status <= 599


def test_unexpected_exceptions_become_internal_with_a_fixed_message():
    typed = errors.as_idphoto_error(ValueError("secret detail"))
    assert typed.code == "INTERNAL" and "secret" not in typed.message
    assert errors.error_from_code("NO_FACE", "x").code == "NO_FACE"
    assert errors.error_from_code("NOT_A_CODE").code == "INTERNAL"
