"""The one rule for tenant names (API keys, Redis keys, object keys ``t/{tenant}/…``)."""

from __future__ import annotations

import re

from idphoto.errors import InvalidOptionError

TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def check_tenant(tenant: str) -> str:
    """``tenant`` if it is 1-63 letters, digits, '-' or '_' starting with a letter or digit; else INVALID_OPTION."""
    if not TENANT_PATTERN.match(tenant or ""):
        raise InvalidOptionError("tenant names are 1-63 letters, digits, '-' or '_', starting with a letter or digit",
                                 tenant=tenant)
    return tenant
