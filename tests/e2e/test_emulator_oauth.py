"""The emulator's Discord OAuth2, driven with aiohttp as a web app (and its browser) would: the
consent page, the code grant, refresh and revocation, and bearer tokens on the REST routes."""

from __future__ import annotations

import base64
import re
import ssl
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.emulator import Emulator
from tests.emulator.state import ALL_PERMISSIONS, MANAGE_GUILD, MEMBER_PERMISSIONS

pytestmark = pytest.mark.e2e

CALLBACK = "https://carillon.example.test/auth/callback"
OTHER_CALLBACK = "http://127.0.0.1:8080/auth/callback"
STATE = "st/ate?with=odd&chars ü+%"
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that trusts the emulator's CA and never follows redirects on its own."""
    emulator.oauth.redirect_uris = [CALLBACK, OTHER_CALLBACK]
    context = ssl.create_default_context(cafile=emulator.ca_file)
    connector = aiohttp.TCPConnector(ssl=context)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield session


def auth_params(emulator: Emulator, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": emulator.oauth.client_id,
        "scope": "identify guilds",
        "redirect_uri": CALLBACK,
        "state": STATE,
        "prompt": "consent",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}


async def consent_page(
    http: aiohttp.ClientSession, emulator: Emulator, **overrides: str | None
) -> tuple[int, str]:
    """GET the authorize URL; return (status, html)."""
    params = auth_params(emulator, **overrides)
    async with http.get(emulator.oauth.authorize_url, params=params, allow_redirects=False) as r:
        assert "Location" not in r.headers, r.headers["Location"]
        return r.status, await r.text()


async def answer(
    http: aiohttp.ClientSession, emulator: Emulator, page: str, decision: str
) -> dict[str, Any]:
    """Press Authorize or Cancel on the consent page; return the redirect's parts."""
    match = re.search(r'<form id="consent" method="post" action="([^"]+)"', page)
    ticket = re.search(r'name="ticket" value="([^"]+)"', page)
    assert match and ticket, page
    action = emulator.oauth.authorize_url.replace("/oauth2/authorize", match.group(1))
    form = {"ticket": ticket.group(1), "decision": decision}
    async with http.post(action, data=form, allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        return redirect_parts(r.headers["Location"])


def redirect_parts(location: str) -> dict[str, Any]:
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return {"base": f"{parts.scheme}://{parts.netloc}{parts.path}", **query}


async def get_code(
    http: aiohttp.ClientSession, emulator: Emulator, *, user: str = "alice", **overrides: str
) -> str:
    emulator.oauth.sign_in(user)
    status, page = await consent_page(http, emulator, **overrides)
    assert status == 200, page
    redirect = await answer(http, emulator, page, "authorize")
    return str(redirect["code"])


async def token(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    form: dict[str, str] | None = None,
    *,
    basic: tuple[str, str] | None = None,
    body_credentials: bool = True,
    path: str = "/api/v10/oauth2/token",
    json_body: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], Any]:
    data = dict(form or {})
    headers = {}
    if basic is not None:
        pair = f"{basic[0]}:{basic[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif body_credentials:
        data.setdefault("client_id", emulator.oauth.client_id)
        data.setdefault("client_secret", emulator.oauth.client_secret)
    url = emulator.oauth.base_url + path
    kwargs: dict[str, Any] = {"json": json_body} if json_body is not None else {"data": data}
    async with http.post(url, headers=headers, **kwargs) as r:
        assert r.headers["Content-Type"] == "application/json"
        return r.status, await r.json(), r.headers


async def exchange(
    http: aiohttp.ClientSession, emulator: Emulator, code: str, redirect_uri: str = CALLBACK
) -> tuple[int, dict[str, Any], Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return await token(http, emulator, form)


async def api(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    method: str,
    path: str,
    authorization: str,
    **kwargs: Any,
) -> tuple[int, Any, Any]:
    headers = {"Authorization": authorization}
    async with http.request(method, emulator.api_base_url + path, headers=headers, **kwargs) as r:
        return r.status, await r.json(), r.headers


def bearer(access_token: str) -> str:
    return f"Bearer {access_token}"


async def test_the_whole_code_flow(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    oauth = emulator.oauth
    alice = emulator.users["alice"]
    assert oauth.client_id == str(emulator.application_id)
    assert oauth.authorize_url.endswith("/oauth2/authorize")
    oauth.sign_in("alice")

    status, page = await consent_page(http, emulator)
    assert status == 200
    assert 'id="oauth-consent"' in page and "Carillon" in page
    assert f'data-user-id="{alice.id}"' in page and "alice" in page
    assert 'data-scope="identify"' in page and 'data-scope="guilds"' in page
    assert 'id="authorize"' in page and 'id="cancel"' in page
    assert oauth.consents == []  # nothing decided yet

    redirect = await answer(http, emulator, page, "authorize")
    assert redirect["base"] == CALLBACK
    assert redirect["state"] == STATE  # echoed verbatim
    assert set(redirect) == {"base", "code", "state"}
    assert oauth.consents[-1].approved and oauth.consents[-1].user is alice

    status, tokens, headers = await exchange(http, emulator, redirect["code"])
    assert status == 200, tokens
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 604800
    assert tokens["scope"] == "identify guilds"
    assert headers["Cache-Control"] == "no-store"
    assert "X-RateLimit-Bucket" in headers  # the emulator's rate-limit headers stay
    last = oauth.exchanges[-1]
    assert (last.endpoint, last.grant_type, last.status, last.user_id, last.client_auth) == (
        "token", "authorization_code", 200, alice.id, "body"
    )  # fmt: skip

    status, me, headers = await api(
        http, emulator, "GET", "/users/@me", bearer(tokens["access_token"])
    )
    assert status == 200
    assert me["id"] == str(alice.id) and me["username"] == "alice"
    assert "email" not in me  # identify without the email scope
    assert "X-RateLimit-Limit" in headers

    status, guilds, _ = await api(
        http, emulator, "GET", "/users/@me/guilds", bearer(tokens["access_token"])
    )
    assert status == 200
    assert guilds == [
        {
            "id": str(emulator.guild.id),
            "name": "Carillon Test Server",
            "icon": None,
            "banner": None,
            "owner": False,
            "permissions": str(MEMBER_PERMISSIONS),
            "features": [],
        }
    ]
    bearer_calls = [r for r in emulator.requests if r.auth == "bearer"]
    assert [(r.method, r.path, r.status) for r in bearer_calls] == [
        ("GET", "/users/@me", 200),
        ("GET", "/users/@me/guilds", 200),
    ]

    # Refresh with HTTP Basic client credentials: new tokens, the old pair is finished.
    refresh_form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    creds = (oauth.client_id, oauth.client_secret)
    status, fresh, _ = await token(http, emulator, refresh_form, basic=creds)
    assert status == 200, fresh
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["scope"] == "identify guilds"
    assert oauth.exchanges[-1].client_auth == "basic"
    status, body, _ = await token(http, emulator, refresh_form, basic=creds)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body, _ = await api(http, emulator, "GET", "/users/@me", bearer(tokens["access_token"]))
    assert (status, body) == (401, UNAUTHORIZED)
    status, me, _ = await api(http, emulator, "GET", "/users/@me", bearer(fresh["access_token"]))
    assert (status, me["id"]) == (200, str(alice.id))

    # Revoke (RFC 7009): the whole authorization ends, access and refresh token alike.
    revoke = {"token": fresh["access_token"], "token_type_hint": "access_token"}
    status, body, _ = await token(http, emulator, revoke, path="/api/oauth2/token/revoke")
    assert (status, body) == (200, {})
    assert oauth.exchanges[-1].endpoint == "revoke"
    status, body, _ = await api(http, emulator, "GET", "/users/@me", bearer(fresh["access_token"]))
    assert (status, body) == (401, UNAUTHORIZED)
    refresh_again = {"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"]}
    status, body, _ = await token(http, emulator, refresh_again)
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_cancel_redirects_with_access_denied(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    status, page = await consent_page(http, emulator)
    assert status == 200
    redirect = await answer(http, emulator, page, "cancel")
    assert redirect["base"] == CALLBACK
    assert redirect["error"] == "access_denied"
    assert redirect["error_description"]
    assert redirect["state"] == STATE
    assert "code" not in redirect
    assert not emulator.oauth.consents[-1].approved
    # The consent page's ticket is single-use: a second answer is an error page.
    async with http.post(
        emulator.oauth.authorize_url,
        data={"ticket": re.findall(r'name="ticket" value="([^"]+)"', page)[0]},
        allow_redirects=False,
    ) as r:
        assert r.status == 400 and "Location" not in r.headers


async def test_default_user_state_and_redirect_defaults(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    """Nobody chose a user: the owner is signed in. Without ``state`` none comes back; without
    ``redirect_uri`` the first registered one is used (and may be omitted at exchange)."""
    status, page = await consent_page(http, emulator, state=None, redirect_uri=None)
    assert status == 200
    assert f'data-user-id="{emulator.users["owner"].id}"' in page
    redirect = await answer(http, emulator, page, "authorize")
    assert redirect["base"] == CALLBACK and "state" not in redirect
    form = {"grant_type": "authorization_code", "code": redirect["code"]}
    status, tokens, _ = await token(http, emulator, form)
    assert status == 200, tokens
    status, guilds, _ = await api(
        http, emulator, "GET", "/users/@me/guilds", bearer(tokens["access_token"])
    )
    assert guilds[0]["owner"] is True and guilds[0]["permissions"] == str(ALL_PERMISSIONS)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "1234"}, "invalid_client"),
        ({"client_id": None}, "invalid_client"),
        ({"redirect_uri": "https://evil.example.test/steal"}, "invalid_request"),
        ({"redirect_uri": CALLBACK + "/"}, "invalid_request"),  # exact match only
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": "identify nonsense"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"scope": "identify bot"}, "invalid_scope"),  # Discord's, not emulated
    ],
)
async def test_authorize_refusals_are_error_pages(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    overrides: dict[str, str | None],
    error: str,
) -> None:
    emulator.oauth.auto_approve = True  # even so: never a redirect
    status, page = await consent_page(http, emulator, **overrides)
    assert status == 400
    assert f'data-error="{error}"' in page
    assert emulator.oauth.codes == {}


async def test_unregistered_redirect_when_none_is_registered(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.oauth.redirect_uris = []
    status, page = await consent_page(http, emulator)
    assert status == 400 and "redirect_uri" in page
    status, page = await consent_page(http, emulator, redirect_uri=None)
    assert status == 400 and "redirect_uri" in page


async def test_auto_approve_and_prompt_none(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    oauth = emulator.oauth
    oauth.sign_in(emulator.users["bob"])
    oauth.auto_approve = True
    params = auth_params(emulator)
    async with http.get(oauth.authorize_url, params=params, allow_redirects=False) as r:
        assert r.status == 302
        redirect = redirect_parts(r.headers["Location"])
    assert redirect["state"] == STATE and redirect["code"]
    assert oauth.consents[-1].automatic

    oauth.auto_approve = False
    # prompt=none skips the page for scopes bob already granted...
    params = auth_params(emulator, prompt="none")
    async with http.get(oauth.authorize_url, params=params, allow_redirects=False) as r:
        assert r.status == 302 and "code=" in r.headers["Location"]
    # ...but not for new ones, and prompt=consent always asks.
    status, page = await consent_page(http, emulator, prompt="none", scope="identify email")
    assert status == 200 and 'data-scope="email"' in page
    status, _ = await consent_page(http, emulator)
    assert status == 200


async def test_codes_are_single_use(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    code = await get_code(http, emulator)
    status, _, _ = await exchange(http, emulator, code)
    assert status == 200
    status, body, _ = await exchange(http, emulator, code)
    assert (status, body) == (
        400,
        {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'},
    )
    status, body, _ = await exchange(http, emulator, "not-a-code")
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_codes_expire_after_ten_minutes(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    fresh = await get_code(http, emulator)
    stale = await get_code(http, emulator)
    emulator.oauth.advance(599)
    status, _, _ = await exchange(http, emulator, fresh)
    assert status == 200
    emulator.oauth.advance(2)
    status, body, _ = await exchange(http, emulator, stale)
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_redirect_uri_must_match_the_authorize_one(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    code = await get_code(http, emulator)  # authorized with CALLBACK
    status, body, _ = await exchange(http, emulator, code, OTHER_CALLBACK)  # registered, but not it
    assert (status, body) == (
        400,
        {"error": "invalid_grant", "error_description": 'Invalid "redirect_uri" in request.'},
    )
    form = {"grant_type": "authorization_code", "code": code}  # missing
    status, body, _ = await token(http, emulator, form)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _, _ = await exchange(http, emulator, code)  # a refused attempt does not use it up
    assert status == 200


@pytest.mark.parametrize("path", ["/api/oauth2/token", "/api/v10/oauth2/token"])
async def test_token_endpoint_errors(
    http: aiohttp.ClientSession, emulator: Emulator, path: str
) -> None:
    oauth = emulator.oauth
    code = await get_code(http, emulator)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}

    status, body, _ = await token(http, emulator, {**form, "client_secret": "wrong"}, path=path)
    assert (status, body) == (401, {"error": "invalid_client"})
    status, body, _ = await token(http, emulator, form, basic=("1234", "x"), path=path)
    assert (status, body) == (401, {"error": "invalid_client"})
    status, body, _ = await token(http, emulator, form, body_credentials=False, path=path)
    assert (status, body) == (401, {"error": "invalid_client"})
    # Discord reads form bodies only: JSON (or no grant_type) is an unsupported grant type.
    json_body = {**form, "client_id": oauth.client_id, "client_secret": oauth.client_secret}
    status, body, _ = await token(http, emulator, json_body=json_body, path=path)
    assert (status, body) == (400, {"error": "unsupported_grant_type"})
    status, body, _ = await token(http, emulator, {**form, "grant_type": "password"}, path=path)
    assert (status, body) == (400, {"error": "unsupported_grant_type"})
    status, body, _ = await token(http, emulator, {"grant_type": "authorization_code"}, path=path)
    assert (status, body["error"]) == (400, "invalid_request")

    # A code belongs to the app it was issued to.
    other = oauth.register_app("4242", "other-secret", [CALLBACK], name="Other")
    status, body, _ = await token(http, emulator, form, basic=(other.client_id, "other-secret"))
    assert (status, body["error"]) == (400, "invalid_grant")

    assert [e.status for e in oauth.exchanges] == [401, 401, 401, 400, 400, 400, 400]
    assert [e.error for e in oauth.exchanges][:3] == ["invalid_client"] * 3
    status, tokens, _ = await token(http, emulator, form, path=path)  # still good
    assert status == 200, tokens


async def test_revoke_needs_client_credentials(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    grant = emulator.oauth.issue_token("alice")
    status, body, _ = await token(
        http,
        emulator,
        {"token": grant.access_token},
        path="/api/v10/oauth2/token/revoke",
        body_credentials=False,
    )
    assert (status, body) == (401, {"error": "invalid_client"})
    status, body, _ = await token(
        http, emulator, {"token": "unknown"}, path="/api/v10/oauth2/token/revoke"
    )
    assert (status, body) == (200, {})  # RFC 7009: an unknown token is not an error
    status, _, _ = await api(http, emulator, "GET", "/users/@me", bearer(grant.access_token))
    assert status == 200


async def test_bearer_tokens_are_refused_on_bot_routes(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    grant = emulator.oauth.issue_token("admin", ["identify", "guilds", "guilds.members.read"])
    general = emulator.channel("general")
    status, body, _ = await api(
        http,
        emulator,
        "POST",
        f"/channels/{general.id}/messages",
        bearer(grant.access_token),
        json={"content": "hello"},
    )
    assert (status, body) == (401, UNAUTHORIZED)
    assert emulator.messages("general") == []
    for path in (f"/guilds/{emulator.guild.id}", f"/channels/{general.id}", "/gateway/bot"):
        status, body, _ = await api(http, emulator, "GET", path, bearer(grant.access_token))
        assert (status, body) == (401, UNAUTHORIZED), path

    # Routes only an access token may call: the bot token gets the 401 there.
    status, info, _ = await api(http, emulator, "GET", "/oauth2/@me", bearer(grant.access_token))
    assert status == 200
    assert info["scopes"] == ["identify", "guilds", "guilds.members.read"]
    assert info["user"]["id"] == str(emulator.users["admin"].id)
    assert info["application"]["id"] == emulator.oauth.client_id
    member_path = f"/users/@me/guilds/{emulator.guild.id}/member"
    status, member, _ = await api(http, emulator, "GET", member_path, bearer(grant.access_token))
    assert status == 200 and member["roles"] == [str(emulator.roles["admins"].id)]
    for path in ("/oauth2/@me", member_path):
        status, body, _ = await api(http, emulator, "GET", path, f"Bot {emulator.token}")
        assert (status, body) == (401, UNAUTHORIZED), path


async def test_bot_token_routes_are_unchanged(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.oauth.issue_token("alice")  # tokens around change nothing for the bot
    bot = f"Bot {emulator.token}"
    status, me, _ = await api(http, emulator, "GET", "/users/@me", bot)
    assert (status, me["id"], me["bot"]) == (200, str(emulator.bot_user.id), True)
    status, guilds, _ = await api(http, emulator, "GET", "/users/@me/guilds", bot)
    assert status == 200
    assert [(g["id"], g["owner"], g["permissions"]) for g in guilds] == [
        (str(emulator.guild.id), False, str(MEMBER_PERMISSIONS))
    ]
    general = emulator.channel("general")
    status, message, _ = await api(
        http, emulator, "POST", f"/channels/{general.id}/messages", bot, json={"content": "hi"}
    )
    assert (status, message["content"]) == (200, "hi")
    for wrong in ("", "Bot nope", f"Bearer {emulator.token}", emulator.token):
        status, body, _ = await api(http, emulator, "GET", "/users/@me", wrong)
        assert (status, body) == (401, UNAUTHORIZED), wrong


async def test_scopes_limit_what_a_token_reaches(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    identify_only = emulator.oauth.issue_token("alice", ["identify"])
    status, me, _ = await api(
        http, emulator, "GET", "/users/@me", bearer(identify_only.access_token)
    )
    assert status == 200 and "email" not in me
    status, body, _ = await api(
        http, emulator, "GET", "/users/@me/guilds", bearer(identify_only.access_token)
    )
    assert (status, body) == (401, UNAUTHORIZED)

    guilds_only = emulator.oauth.issue_token("alice", ["guilds"])
    status, body, _ = await api(
        http, emulator, "GET", "/users/@me", bearer(guilds_only.access_token)
    )
    assert (status, body) == (401, UNAUTHORIZED)

    with_email = emulator.oauth.issue_token("alice", ["identify", "email"])
    status, me, _ = await api(http, emulator, "GET", "/users/@me", bearer(with_email.access_token))
    assert status == 200 and me["email"] and me["verified"] is True


async def test_unknown_expired_and_revoked_tokens_get_401(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    oauth = emulator.oauth
    status, body, _ = await api(http, emulator, "GET", "/users/@me", "Bearer not-a-token")
    assert (status, body) == (401, UNAUTHORIZED)

    week = oauth.issue_token("alice")
    oauth.advance(604800 - 1)
    status, _, _ = await api(http, emulator, "GET", "/users/@me", bearer(week.access_token))
    assert status == 200
    oauth.advance(2)
    status, body, _ = await api(http, emulator, "GET", "/users/@me", bearer(week.access_token))
    assert (status, body) == (401, UNAUTHORIZED)
    # An expired access token can still be refreshed (refresh tokens outlive it).
    status, fresh, _ = await token(
        http, emulator, {"grant_type": "refresh_token", "refresh_token": str(week.refresh_token)}
    )
    assert status == 200, fresh

    code = await get_code(http, emulator, user="bob")
    status, tokens, _ = await exchange(http, emulator, code)
    assert status == 200
    other = oauth.issue_token("alice")
    assert oauth.revoke_all("bob") == 1
    status, body, _ = await api(http, emulator, "GET", "/users/@me", bearer(tokens["access_token"]))
    assert (status, body) == (401, UNAUTHORIZED)
    status, _, _ = await api(http, emulator, "GET", "/users/@me", bearer(other.access_token))
    assert status == 200  # alice's tokens are hers


async def test_guild_list_follows_the_world_live(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    """Role changes, lost roles and leaving the server show on the next call: no caching."""
    code = await get_code(http, emulator, user="admin")
    status, tokens, _ = await exchange(http, emulator, code)
    assert status == 200
    auth = bearer(tokens["access_token"])

    async def my_guilds() -> list[dict[str, Any]]:
        status, guilds, _ = await api(http, emulator, "GET", "/users/@me/guilds", auth)
        assert status == 200
        return list(guilds)

    (guild,) = await my_guilds()
    assert int(guild["permissions"]) & MANAGE_GUILD
    assert guild["owner"] is False

    emulator.set_role_permissions("admins", MEMBER_PERMISSIONS)
    (guild,) = await my_guilds()
    assert int(guild["permissions"]) == MEMBER_PERMISSIONS

    emulator.set_role_permissions("admins", MEMBER_PERMISSIONS | MANAGE_GUILD)
    (guild,) = await my_guilds()
    assert int(guild["permissions"]) & MANAGE_GUILD
    emulator.set_member_roles("admin", [])
    (guild,) = await my_guilds()
    assert not int(guild["permissions"]) & MANAGE_GUILD

    second = emulator.world.add_guild("Second Server", emulator.users["admin"])
    guilds = await my_guilds()
    assert [(g["name"], g["owner"]) for g in guilds] == [
        ("Carillon Test Server", False),
        ("Second Server", True),
    ]
    status, counted, _ = await api(
        http, emulator, "GET", "/users/@me/guilds?with_counts=true", auth
    )
    assert counted[1]["approximate_member_count"] == len(second.members)

    emulator.user_joins_voice("admin", "Lounge")
    emulator.remove_member("admin")
    assert [g["name"] for g in await my_guilds()] == ["Second Server"]
    assert emulator.users["admin"].id not in emulator.guild.voice_states

    member_path = f"/users/@me/guilds/{emulator.guild.id}/member"
    scoped = emulator.oauth.issue_token("admin", ["guilds.members.read"])
    status, body, _ = await api(http, emulator, "GET", member_path, bearer(scoped.access_token))
    assert (status, body) == (404, {"message": "Unknown Guild", "code": 10004})


async def test_client_credentials_give_the_owner_a_token(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    oauth = emulator.oauth
    form = {"grant_type": "client_credentials", "scope": "identify"}
    status, tokens, _ = await token(
        http, emulator, form, basic=(oauth.client_id, oauth.client_secret)
    )
    assert status == 200, tokens
    assert "refresh_token" not in tokens and tokens["scope"] == "identify"
    status, me, _ = await api(http, emulator, "GET", "/users/@me", bearer(tokens["access_token"]))
    assert me["id"] == str(emulator.users["owner"].id)
