"""Ready-made OAuthenticator classes with workshop grants (the ``oauth`` extra).

Entry points (``c.JupyterHub.authenticator_class = "workshop-github"``):

==================  ===========================================================
``workshop-github``   :class:`oauthenticator.github.GitHubOAuthenticator`
``workshop-generic``  :class:`oauthenticator.generic.GenericOAuthenticator` (any OIDC)
``workshop-cilogon``  :class:`oauthenticator.cilogon.CILogonOAuthenticator`
``workshop-google``   :class:`oauthenticator.google.GoogleOAuthenticator`
==================  ===========================================================

Any other authenticator takes the mixin the same way (docs/workshop-oauth.md)::

    class MyAuthenticator(WorkshopAccessMixin, GitLabOAuthenticator): ...

Each class is configured under its own name (``c.GitHubOAuthenticator``...) for the
provider, and ``c.WorkshopAccessMixin`` for the grants.

Without oauthenticator the module still imports; asking for one of the classes raises
:class:`hubtypes.spawner.MissingDependency`, naming the ``oauth`` extra.
"""

from __future__ import annotations

from typing import Any

from hubtypes._extras import missing_dependency
from hubtypes.auth.access_mixin import WorkshopAccessMixin

try:
    from oauthenticator.cilogon import CILogonOAuthenticator
    from oauthenticator.generic import GenericOAuthenticator
    from oauthenticator.github import GitHubOAuthenticator
    from oauthenticator.google import GoogleOAuthenticator
except ModuleNotFoundError as e:
    # A plain install (no `oauth` extra): this module still imports, and JupyterHub, which
    # loads every entry point to list them and skips what raises an Exception, keeps
    # starting; a hub that chose one of these classes stops with the extra to install.
    if not (e.name or "").startswith("oauthenticator"):
        raise
    _HAVE_OAUTHENTICATOR = False
else:
    _HAVE_OAUTHENTICATOR = True

    class WorkshopGitHubOAuthenticator(WorkshopAccessMixin, GitHubOAuthenticator):
        """GitHub logins; workshop grants name GitHub logins (lowercased by the hub)."""

    class WorkshopGenericOAuthenticator(WorkshopAccessMixin, GenericOAuthenticator):
        """Any OAuth2 / OpenID Connect provider; grants name ``username_claim`` values."""

    class WorkshopCILogonOAuthenticator(WorkshopAccessMixin, CILogonOAuthenticator):
        """CILogon; grants name what the identity provider's ``username_derivation`` gives."""

    class WorkshopGoogleOAuthenticator(WorkshopAccessMixin, GoogleOAuthenticator):
        """Google; grants name emails (an unverified email is still refused, as Google's own
        check_allowed does)."""


_CLASSES = (
    "WorkshopCILogonOAuthenticator",
    "WorkshopGenericOAuthenticator",
    "WorkshopGitHubOAuthenticator",
    "WorkshopGoogleOAuthenticator",
)


def __getattr__(name: str) -> Any:
    """Only without oauthenticator (else the classes are module attributes): a class asked
    for, by its entry point or an import, is :class:`~hubtypes.spawner.MissingDependency`,
    the error that names the ``oauth`` extra."""
    if name in _CLASSES and not _HAVE_OAUTHENTICATOR:
        raise missing_dependency(name, "oauthenticator", "oauth")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "WorkshopAccessMixin",
    "WorkshopCILogonOAuthenticator",
    "WorkshopGenericOAuthenticator",
    "WorkshopGitHubOAuthenticator",
    "WorkshopGoogleOAuthenticator",
]
