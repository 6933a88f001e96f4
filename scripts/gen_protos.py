"""Generate the Python protobuf/gRPC code for the contracts in ``protos/`` (``make proto``).

Runs ``grpc_tools.protoc`` with three include roots: ``protos/``, grpc_tools' bundled well-known types and the
installed googleapis-common-protos (``google/api/annotations.proto`` and ``http.proto``). Writes, all git-ignored:

* ``idphoto/_gen/idphoto/v1/*_pb2.py``, ``*_pb2.pyi``, ``*_pb2_grpc.py`` (+ ``__init__.py``) — imported as
  ``idphoto.v1.<name>_pb2`` because ``idphoto/__init__.py`` appends ``idphoto/_gen/idphoto`` to its ``__path__``
  (so ``idphoto/_gen/idphoto`` itself must NOT get an ``__init__.py``);
* ``idphoto/_gen/descriptor_set.pb`` — every file with its imports and source info (REST transcoding, reflection);
* ``idphoto/_gen/proto_deps/`` — the non-well-known imported ``.proto`` files (google/api/*), taken from the
  installed wheel so that ``buf lint`` resolves imports offline (a module in ``buf.yaml``, not linted);
* ``idphoto/_gen/.proto-stamp`` — written last; newer than every input means up to date.

Usage: ``python -m scripts.gen_protos [--force]``. Without ``--force`` nothing happens when the stamp is newer
than every ``.proto`` and this script. Output is built in a temporary folder and swapped in at the end, so a
failed run leaves the previous generation in place.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "protos"
GEN_ROOT = ROOT / "idphoto" / "_gen"
PACKAGE_DIR = Path("idphoto") / "v1"                  # proto package idphoto.v1, relative to PROTO_ROOT/GEN_ROOT
DESCRIPTOR_SET = GEN_ROOT / "descriptor_set.pb"
PROTO_DEPS = GEN_ROOT / "proto_deps"
STAMP = GEN_ROOT / ".proto-stamp"
INIT_DOC = '"""Generated from protos/idphoto/v1 by scripts/gen_protos.py (make proto). Do not edit."""\n'


def proto_files() -> list[Path]:
    """Every .proto under protos/, as paths relative to protos/ (protoc's virtual paths)."""
    return sorted(p.relative_to(PROTO_ROOT) for p in PROTO_ROOT.rglob("*.proto"))


def well_known_root() -> Path:
    """grpc_tools' bundled google/protobuf/*.proto."""
    spec = importlib.util.find_spec("grpc_tools")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("grpcio-tools is not installed: run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "_proto"


def googleapis_root() -> Path:
    """The folder holding google/api/annotations.proto (site-packages, from googleapis-common-protos)."""
    spec = importlib.util.find_spec("google.api")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "annotations.proto").is_file():
            return Path(location).parent.parent
    raise SystemExit("google/api/annotations.proto not found: is googleapis-common-protos installed? (make setup)")


def is_stale(files: list[Path]) -> bool:
    if not STAMP.is_file() or not (GEN_ROOT / PACKAGE_DIR / "__init__.py").is_file() or not DESCRIPTOR_SET.is_file():
        return True
    stamp_time = STAMP.stat().st_mtime
    inputs = [PROTO_ROOT / f for f in files] + [Path(__file__).resolve()]
    return any(p.stat().st_mtime > stamp_time for p in inputs)


def run_protoc(files: list[Path], out_dir: Path, descriptor_set: Path, includes: list[Path]) -> None:
    from grpc_tools import protoc

    args = ["grpc_tools.protoc", *(f"--proto_path={p}" for p in includes),
            f"--python_out={out_dir}", f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}",
            f"--descriptor_set_out={descriptor_set}", "--include_imports", "--include_source_info",
            *(str(f) for f in files)]
    status = protoc.main(args)
    if status != 0:
        raise SystemExit(f"protoc failed with status {status}")


def imported_deps(descriptor_set: Path, own: set[str]) -> list[str]:
    """Files the contracts import that are neither ours nor well-known types (e.g. google/api/http.proto)."""
    from google.protobuf import descriptor_pb2

    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    return sorted(f.name for f in fds.file if f.name not in own and not f.name.startswith("google/protobuf/"))


def swap_in(new: Path, old: Path) -> None:
    """Replace ``old`` (file or folder) by ``new``."""
    if old.is_dir():
        trash = old.with_name(old.name + ".old")
        shutil.rmtree(trash, ignore_errors=True)
        old.rename(trash)
        new.rename(old)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        old.parent.mkdir(parents=True, exist_ok=True)
        new.replace(old)


def generate() -> list[Path]:
    files = proto_files()
    if not files:
        raise SystemExit(f"no .proto files under {PROTO_ROOT}")
    api_root = googleapis_root()
    includes = [PROTO_ROOT, well_known_root(), api_root]
    GEN_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".gen-", dir=GEN_ROOT) as tmp:
        tmp_path = Path(tmp)
        out_dir, descriptor_set = tmp_path / "out", tmp_path / "descriptor_set.pb"
        out_dir.mkdir()
        run_protoc(files, out_dir, descriptor_set, includes)

        package_out = out_dir / PACKAGE_DIR
        if not package_out.is_dir():
            raise SystemExit(f"protoc wrote nothing under {PACKAGE_DIR}: check the proto package names")
        (package_out / "__init__.py").write_text(INIT_DOC)
        if (out_dir / "idphoto" / "__init__.py").exists():      # must stay a plain folder (see module doc)
            (out_dir / "idphoto" / "__init__.py").unlink()

        deps_out = tmp_path / "proto_deps"
        for name in imported_deps(descriptor_set, {str(f) for f in files}):
            target = deps_out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(api_root / name, target)
        deps_out.mkdir(exist_ok=True)

        (GEN_ROOT / "idphoto").mkdir(exist_ok=True)
        if (GEN_ROOT / PACKAGE_DIR).exists():
            swap_in(package_out, GEN_ROOT / PACKAGE_DIR)
        else:
            package_out.rename(GEN_ROOT / PACKAGE_DIR)
        swap_in(descriptor_set, DESCRIPTOR_SET)
        if PROTO_DEPS.exists():
            swap_in(deps_out, PROTO_DEPS)
        else:
            deps_out.rename(PROTO_DEPS)
    STAMP.touch()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="regenerate even when the stamp is up to date")
    args = parser.parse_args(argv)
    if not args.force and not is_stale(proto_files()):
        print("protos: up to date")
        return 0
    files = generate()
    print(f"protos: generated {len(files)} files into {GEN_ROOT.relative_to(ROOT)}/{PACKAGE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
