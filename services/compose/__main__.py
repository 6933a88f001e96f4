"""``python -m services.compose``: the compose service (config IDPHOTO_COMPOSE_*, e.g. HOST, PORT, METRICS_PORT)."""

import sys

from idphoto.rpc.server import run_main
from services.compose.server import ComposeServiceConfig, create_server

if __name__ == "__main__":
    sys.exit(run_main(ComposeServiceConfig, "COMPOSE", create_server))
