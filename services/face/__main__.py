"""``python -m services.face``: the face service (config IDPHOTO_FACE_*, e.g. HOST, PORT, METRICS_PORT)."""

import sys

from idphoto.rpc.server import run_main
from services.face.server import FaceServiceConfig, create_server

if __name__ == "__main__":
    sys.exit(run_main(FaceServiceConfig, "FACE", create_server))
