"""``python -m services.matting``: the matting service (config IDPHOTO_MATTING_*, e.g. MODEL, PORT, MAX_IN_FLIGHT)."""

import sys

from idphoto.rpc.server import run_main
from services.matting.server import MattingServiceConfig, create_server

if __name__ == "__main__":
    sys.exit(run_main(MattingServiceConfig, "MATTING", create_server))
