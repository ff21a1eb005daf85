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
"""

from __future__ import annotations

from oauthenticator.cilogon import CILogonOAuthenticator
from oauthenticator.generic import GenericOAuthenticator
from oauthenticator.github import GitHubOAuthenticator
from oauthenticator.google import GoogleOAuthenticator

from hubtypes.auth.access_mixin import WorkshopAccessMixin


class WorkshopGitHubOAuthenticator(WorkshopAccessMixin, GitHubOAuthenticator):
    """GitHub logins; workshop grants name GitHub logins (lowercased by the hub)."""


class WorkshopGenericOAuthenticator(WorkshopAccessMixin, GenericOAuthenticator):
    """Any OAuth2 / OpenID Connect provider; grants name ``username_claim`` values."""


class WorkshopCILogonOAuthenticator(WorkshopAccessMixin, CILogonOAuthenticator):
    """CILogon; grants name what the identity provider's ``username_derivation`` gives."""


class WorkshopGoogleOAuthenticator(WorkshopAccessMixin, GoogleOAuthenticator):
    """Google; grants name emails (an unverified email is still refused, as Google's own
    check_allowed does)."""


__all__ = [
    "WorkshopAccessMixin",
    "WorkshopCILogonOAuthenticator",
    "WorkshopGenericOAuthenticator",
    "WorkshopGitHubOAuthenticator",
    "WorkshopGoogleOAuthenticator",
]
