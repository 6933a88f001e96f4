"""``python -m services.gateway``: the public API (config IDPHOTO_GATEWAY_*, IDPHOTO_JOBS_*, IDPHOTO_STORAGE_*)."""

import sys

from services.gateway.api.server import main

if __name__ == "__main__":
    sys.exit(main())
