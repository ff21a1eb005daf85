"""Workshop grants on a real hub logging people in through a real OAuth provider.

The hub runs oauthenticator's GenericOAuthenticator composed with WorkshopAccessMixin
(``hubtypes.auth.oauth.WorkshopGenericOAuthenticator``) against an authlib provider on
loopback (tests/oauth_provider.py): the authorization-code flow, the token endpoint and
userinfo are real HTTP. The spawner is hubtypes' SimpleLocalProcessSpawner with real
single-user servers; the workshop service is the managed service.

Behaviour relied on, from the installed sources: oauthenticator/oauth2.py (authenticate ->
update_auth_model, then JupyterHub's get_authenticated_user calls check_allowed, which
allows ``allowed_users``), jupyterhub/handlers/base.py (``refresh_auth``: refresh_user
False ends a cookie session), jupyterhub/apihandlers/users.py (DELETE a named server with
``{"remove": true}`` removes it and calls the spawner's delete_forever).

Time passing (the workshop locking, then its purge) is stood in for by moving the
workshop's dates into the past in hubtypes' database; nothing else is faked.
"""

from __future__ import annotations

from pathlib import Path

import grantshub
import pytest
import svchub
from grantshub import move_dates, oauth_login, provider_fixture  # noqa: F401 (the provider fixture)

pytestmark = [pytest.mark.hub]


def test_grants_lock_and_purge_through_oauth(real_hub_factory, provider, tmp_path: Path):
    sh = grantshub.start(real_hub_factory, provider, tmp_path)
    hub, db_url, storage = sh.hub, sh.db_url, sh.storage
    sh.workshop("py")
    sh.workshop("r")

    # bad input: spellings normalised as the hub will, admins and double grants refused
    r = sh.call("POST", "workshops/py/grants", json={"identities": ["  Alice ", "carol", "ALICE"]})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["added"] == ["alice", "carol"]
    assert {"given": "  Alice ", "identity": "alice"}.items() <= added["normalised"][0].items()
    assert "also given as 'ALICE'" in added["normalised"][0]["notes"]
    r = sh.call("POST", "workshops/py/grants", json={"identities": ["boss"]})
    assert r.status_code == 409 and "hub admin" in r.json()["message"], r.text
    r = sh.call("POST", "workshops/r/grants", json={"identities": ["Alice"]})
    assert r.status_code == 409 and "already granted workshop 'py'" in r.json()["message"]
    r = sh.call("POST", "workshops/py/grants", json={"identities": ["bo b"]})
    assert r.status_code == 400 and r.json()["field"] == "identities"

    # nobody else gets in; the guest and the community member do
    _, refused = oauth_login(hub.url, "mallory")
    assert refused.status_code == 403, refused.status_code
    alice, home = oauth_login(hub.url, "alice")
    assert home.url.endswith("/hub/home"), (home.status_code, home.url)
    assert 'id="hubtypes-workshop-servers"' in home.text and "your default server" in home.text
    carol, home = oauth_login(hub.url, "carol")
    assert "workshop-py" in home.text and "locks" in home.text, home.text[:3000]
    standings = {
        g["identity"]: g["standing"] for g in sh.call("GET", "workshops/py/grants").json()["grants"]
    }
    assert standings == {"alice": "guest", "carol": "community"}

    # the guest's default server is the workshop; the member's default stays community
    for name, server in (("alice", ""), ("carol", ""), ("carol", "workshop-py")):
        path = f"/users/{name}/servers/{server}" if server else f"/users/{name}/server"
        r = hub.api("POST", path)
        assert r.status_code in (201, 202), r.text
        hub.wait_ready(name, server)
    assert (storage / "workshops/py/alice").is_dir()
    assert (storage / "workshops/py/carol/materials").exists()
    thesis = storage / "community/carol/thesis.ipynb"
    thesis.write_text("{}")
    assert not (storage / "community/alice").exists()

    # an API token of the guest's own, made before the lock
    r = hub.api("POST", "/users/alice/tokens", json={"note": "the guest's script"})
    assert r.status_code == 201, r.text
    guest_token = r.json()["token"]
    assert hub.api("GET", "/user", token=guest_token).json()["name"] == "alice"

    # the lock: the guest's session, servers and tokens end; the member keeps their own
    move_dates(db_url, "py", ends_at="-1 minute")
    done = sh.call("POST", "lifecycle").json()
    assert done["grants_locked"] == ["alice", "carol"], done
    svchub.wait_for(lambda: alice.get(hub.url + "hub/home", timeout=30).url.endswith(
        "/hub/login?next=%2Fhub%2Fhome"), what="alice's session to end")  # fmt: skip
    _, again = oauth_login(hub.url, "alice")
    assert again.status_code == 403 and "Access ended" in again.text
    models = {n: hub.api("GET", f"/users/{n}").json() for n in ("alice", "carol")}
    assert models["alice"]["servers"] == {}
    assert set(models["carol"]["servers"]) == {""}
    assert carol.get(hub.url + "hub/home", timeout=30).url.endswith("/hub/home")
    assert hub.api("GET", "/users/alice/tokens").json()["api_tokens"] == []
    assert hub.api("GET", "/user", token=guest_token).status_code == 403
    assert (storage / "workshops/py/alice").is_dir()  # the lock keeps the files

    # the purge: the guest is deleted, the member's workshop server removed, home kept
    move_dates(db_url, "py", ends_at="-2 minutes", delete_after="-1 minute")
    done = sh.call("POST", "lifecycle").json()
    assert done["grants_purged"] == ["alice", "carol"], done
    assert hub.api("GET", "/users/alice").status_code == 404
    assert not (storage / "workshops/py/alice").exists()  # the guest's workshop home too
    # the workshop's own (empty) reset ran in the same pass and deleted nobody else
    assert hub.api("GET", "/users/boss").status_code == 200
    carol_model = hub.api("GET", "/users/carol", params={"include_stopped_servers": "1"}).json()
    assert set(carol_model["servers"]) == {""} and carol_model["servers"][""]["ready"]
    assert thesis.read_text() == "{}"
    assert not (storage / "workshops/py/carol").exists()
    assert sh.call("GET", "workshops/py/grants").json()["grants"] == []
    hub.api("DELETE", "/users/carol/server")


def test_grant_routes_keep_instructors_within_their_powers(real_hub_factory, provider, tmp_path):
    only_admins = ('c.JupyterHub.services[-1]["command"] += '
                   '["--WorkshopService.instructors_may_add_instructors=False"]')  # fmt: skip
    sh = grantshub.start(real_hub_factory, provider, tmp_path, only_admins)
    hub = sh.hub
    sh.workshop("py")
    # an admin adds an instructor whatever the option says, and a participant
    r = sh.call("POST", "workshops/py/grants", json={"identities": ["teach"], "role": "instructor"})
    assert r.status_code == 201, r.text
    assert sh.call("POST", "workshops/py/grants", json={"identities": ["alice"]}).status_code == 201
    _, home = oauth_login(hub.url, "teach")
    assert home.url.endswith("/hub/home"), (home.status_code, home.url)
    teach = sh.token("teach")

    def grants() -> dict[str, dict]:
        listed = sh.call("GET", "workshops/py/grants").json()["grants"]
        return {g["identity"]: g for g in listed}

    # their own grant's end is an admin's to change, not theirs (as for accounts)
    for expires in ("+300d", None):
        r = sh.call("PATCH", "workshops/py/grants/teach", teach, json={"expires": expires})
        assert r.status_code == 403 and "own grant's expiry" in r.json()["message"], r.text
    assert grants()["teach"]["expires_at"] is None
    r = sh.call("PATCH", "workshops/py/grants/alice", teach, json={"expires": "+2h"})
    assert r.status_code == 200 and r.json()["expires_at"], r.text

    # instructors_may_add_instructors=False: no co-instructor by adding or by promoting
    r = sh.call("POST", "workshops/py/grants", teach,
                json={"identities": ["dana"], "role": "instructor"})  # fmt: skip
    assert r.status_code == 403 and r.json()["field"] == "role", r.text
    assert "instructors_may_add_instructors" in r.json()["message"]
    r = sh.call("PATCH", "workshops/py/grants/alice", teach, json={"role": "instructor"})
    assert r.status_code == 403 and r.json()["field"] == "role", r.text
    assert "dana" not in grants() and grants()["alice"]["role"] == "participant"
    # participants they still add; the admin changes the instructor's end
    r = sh.call("POST", "workshops/py/grants", teach, json={"identities": ["dana"]})
    assert r.status_code == 201, r.text
    r = sh.call("PATCH", "workshops/py/grants/teach", json={"expires": "+3d"})
    assert r.status_code == 200 and r.json()["expires_at"], r.text

    # the accounts' limit per request, and one listing of the hub's users, not one per name
    names = [f"g{i:04}" for i in range(1001)]
    r = sh.call("POST", "workshops/py/grants", teach, json={"identities": names})
    assert r.status_code == 400 and r.json()["field"] == "identities", r.text
    assert "give at most 1000" in r.json()["message"]
    before = hub.log_text().count("GET /hub/api/users/g0")
    r = sh.call("POST", "workshops/py/grants", teach, json={"identities": names[:40]})
    assert r.status_code == 201 and len(r.json()["added"]) == 40, r.text
    assert hub.log_text().count("GET /hub/api/users/g0") == before == 0
    assert "GET /hub/api/users?" in hub.log_text()

    # a purged workshop takes no grants (409), as it takes no accounts
    sh.workshop("old")
    move_dates(sh.db_url, "old", ends_at="-2 minutes", delete_after="-1 minute")
    assert sh.call("POST", "lifecycle").status_code == 200
    r = sh.call("POST", "workshops/old/grants", json={"identities": ["zed"]})
    assert r.status_code == 409 and r.json()["field"] == "workshop", r.text
    assert "purged" in r.json()["message"]
    assert sh.call("GET", "workshops/old/grants").json()["grants"] == []
    for method, body in (("PATCH", {"role": "instructor"}), ("DELETE", None)):
        r = sh.call(method, "workshops/old/grants/zed", json=body)
        assert r.status_code == 409 and "purged" in r.json()["message"], (method, r.text)
