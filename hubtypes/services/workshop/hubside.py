"""Deprecated import path (hubtypes 0.1): use :mod:`hubtypes.services.workshop.hub_config`.

Removed in 0.3.
"""

import warnings

from hubtypes.services.workshop.authz import ADMIN_SCOPE, INSTRUCT_SCOPE
from hubtypes.services.workshop.hub_config import (
    CUSTOM_SCOPES,
    INSTRUCTORS_GROUP,
    SERVICE_NAME,
    SERVICE_SCOPES,
    post_auth_hook,
    roles,
)

warnings.warn(
    "hubtypes.services.workshop.hubside is deprecated: use ...workshop.hub_config",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "ADMIN_SCOPE",
    "CUSTOM_SCOPES",
    "INSTRUCTORS_GROUP",
    "INSTRUCT_SCOPE",
    "SERVICE_NAME",
    "SERVICE_SCOPES",
    "post_auth_hook",
    "roles",
]
