"""Authentication and authorization: tokens, API keys, roles, MFA.

Other edges reuse :class:`AuthKit` and :class:`Principal`::

    kit = AuthKit(runtime.db, runtime.settings)
    principal = kit.authenticator.authenticate(bearer)   # JWT or API key; AuthError -> 401
    principal.require("execution:create")                 # PermissionDeniedError -> 403
"""

from omium.services.auth.authenticator import Authenticator
from omium.services.auth.kit import AuthKit
from omium.services.auth.principal import Principal

__all__ = ["AuthKit", "Authenticator", "Principal"]
