"""idphoto: ID photos to official document specs. Shared kernel (errors, config, logging, image I/O, models).

Generated protobuf/gRPC code (``make proto``) lives in the git-ignored ``idphoto/_gen/idphoto/v1``; protoc writes
imports as ``idphoto.v1.…`` (the proto package), so that folder is added to this package's search path and the
generated modules import as ``idphoto.v1.<name>_pb2``.
"""

from pathlib import Path as _Path

__version__ = "0.1.0"
__path__.append(str(_Path(__file__).resolve().parent / "_gen" / "idphoto"))  # type: ignore[name-defined]
