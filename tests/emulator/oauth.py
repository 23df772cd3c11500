"""Discord's OAuth2 as a web app's "Sign in with Discord" meets it (authorization code grant).

* ``GET /oauth2/authorize`` - the consent page for the signed-in Discord user (``sign_in``), whose
  Authorize and Cancel buttons post back to ``POST /oauth2/authorize``; both end in a 302 to the
  app's registered ``redirect_uri`` (``?code=&state=`` or ``?error=access_denied&state=``).
  Requests Discord would refuse (unknown ``client_id``, unregistered ``redirect_uri``,
  ``response_type`` other than ``code``, unknown scope) get a 400 error page and never a redirect.
* ``POST /api[/vN]/oauth2/token`` (``authorization_code``, ``refresh_token``,
  ``client_credentials``) and ``POST /api[/vN]/oauth2/token/revoke``: form-encoded only, client
  credentials by HTTP Basic or in the body, Discord's error bodies
  (``{"error": "invalid_grant", "error_description": ...}``, 401 ``{"error": "invalid_client"}``).
* Bearer tokens on REST routes: the rules below say which routes take one and which scope each
  needs; ``rest.py``'s middleware applies them and answers everything else Discord's 401.

No caching: every answer reads the world as it is at that moment.
"""

from __future__ import annotations

import base64
import hmac
import html
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from aiohttp import web

from . import payloads
from .rest import API, OAUTH_GRANT, error, json_response
from .state import User, World

CODE_LIFETIME = 600.0  # seconds an authorization code can be exchanged (RFC 6749's maximum)
TOKEN_LIFETIME = 604800  # seconds an access token lives (Discord's ``expires_in``)

# Scopes the emulator acts on; the rest of Discord's list is refused as "not emulated".
EMULATED_SCOPES = ("identify", "email", "guilds", "guilds.members.read")
DISCORD_SCOPES = frozenset(
    {
        "activities.read", "activities.write", "applications.builds.read",
        "applications.builds.upload", "applications.commands", "applications.commands.update",
        "applications.commands.permissions.update", "applications.entitlements",
        "applications.store.update", "bot", "connections", "dm_channels.read", "email",
        "gdm.join", "guilds", "guilds.join", "guilds.members.read", "identify",
        "messages.read", "relationships.read", "role_connections.write", "rpc",
        "rpc.activities.write", "rpc.notifications.read", "rpc.voice.read", "rpc.voice.write",
        "voice", "webhook.incoming", "openid",
    }
)  # fmt: skip
SCOPE_TEXT = {
    "identify": "Access your username, avatar, and banner",
    "email": "Access your email address",
    "guilds": "Know what servers you're in",
    "guilds.members.read": "Read your member info (nickname, avatar, roles) for servers you're in",
}
TOKEN_PATHS = ("/oauth2/token", "/oauth2/token/revoke")
ACCESS_DENIED = "The resource owner or authorization server denied the request"
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."
_ALPHABET = string.ascii_letters + string.digits


def _random(length: int = 30) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class BearerRule:
    """A REST route an OAuth2 access token may call, and the scope it needs."""

    method: str
    pattern: re.Pattern[str]
    scope: str | None
    bearer_only: bool = False  # the bot token is refused here (Discord's 401)


BEARER_RULES = (
    BearerRule("GET", re.compile(r"^/users/@me$"), "identify"),
    BearerRule("GET", re.compile(r"^/users/@me/guilds$"), "guilds"),
    BearerRule("GET", re.compile(r"^/users/@me/guilds/\d+/member$"), "guilds.members.read", True),
    BearerRule("GET", re.compile(r"^/oauth2/@me$"), None, True),
)


@dataclass
class OAuthApp:
    """A developer-portal application: its credentials and registered redirect URIs."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str


@dataclass
class AuthCode:
    code: str
    client_id: str
    user: User
    scopes: tuple[str, ...]
    redirect_uri: str  # where the code went
    redirect_given: str | None  # the ``redirect_uri`` parameter at authorize, if any
    expires_at: float
    used: bool = False


@dataclass
class Grant:
    """One access token (and its refresh token) for a user and an app."""

    client_id: str
    user: User
    scopes: tuple[str, ...]
    access_token: str
    refresh_token: str | None
    expires_at: float
    revoked: bool = False

    def live(self, now: float) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass
class TokenExchange:
    """One call to the token or revocation endpoint, for assertions."""

    endpoint: str  # "token" or "revoke"
    grant_type: str | None
    client_id: str | None  # as sent (the app's id once authenticated)
    client_auth: str | None  # "basic", "body" or None (no credentials)
    status: int
    error: str | None
    user_id: int | None = None
    scope: str | None = None


@dataclass
class Consent:
    """One answer on the consent page (or an automatic approval)."""

    user: User
    client_id: str
    scopes: tuple[str, ...]
    approved: bool
    automatic: bool = False


@dataclass
class _Pending:
    ticket: str
    app: OAuthApp
    user: User
    scopes: tuple[str, ...]
    redirect_uri: str
    redirect_given: str | None
    state: str | None


def _with_query(uri: str, params: Mapping[str, str | None]) -> str:
    parts = urlsplit(uri)
    added = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def _page(status: int, title: str, body: str) -> web.Response:
    text = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )
    return web.Response(status=status, text=text, content_type="text/html")


def _error_page(code: str, message: str) -> web.Response:
    body = (
        f'<main id="oauth-error" data-error="{html.escape(code)}">'
        f"<h1>{html.escape(message)}</h1>"
        f"<p>OAuth2 error: <code>{html.escape(code)}</code></p></main>"
    )
    return _page(400, f"Discord | {message}", body)


def _token_json(data: dict[str, Any], status: int = 200) -> web.Response:
    response = json_response(data, status)
    response.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return response


class OAuth2:
    """The emulator's OAuth2 server, reached as ``emulator.oauth`` by tests.

    The default app is the emulator's own application (``client_id`` is
    ``emulator.application_id``) with no redirect URI registered: set ``redirect_uris`` first.
    """

    def __init__(self, world: World, owner: User, *, clock: Callable[[], float] = time.time):
        self.world = world
        self.owner = owner
        self.clock = clock  # wall-clock seconds; ``advance`` moves it on
        self._offset = 0.0
        self.code_lifetime = CODE_LIFETIME
        self.token_lifetime = TOKEN_LIFETIME
        self.auto_approve = False  # True: authorize answers 302 at once, no consent page
        self.base_url = ""  # set once the server knows its port
        self.names: Mapping[str, User] = {}  # ``emulator.users``, so tests can sign in by name
        self.signed_in: User = owner
        self.apps: dict[str, OAuthApp] = {}
        self.app = self.register_app(
            str(world.application_id), _random(32), [], name=world.bot.name
        )
        self.codes: dict[str, AuthCode] = {}
        self.grants: list[Grant] = []
        self.exchanges: list[TokenExchange] = []
        self.consents: list[Consent] = []
        self._pending: dict[str, _Pending] = {}
        self._approved: dict[tuple[int, str], set[str]] = {}

    # --- test helpers -------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self.app.client_id

    @property
    def client_secret(self) -> str:
        return self.app.client_secret

    @property
    def redirect_uris(self) -> list[str]:
        return self.app.redirect_uris

    @redirect_uris.setter
    def redirect_uris(self, uris: Iterable[str]) -> None:
        self.app.redirect_uris = list(uris)

    @property
    def authorize_url(self) -> str:
        """Discord's ``https://discord.com/oauth2/authorize``, here."""
        return f"{self.base_url}/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/oauth2/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.base_url}/api/oauth2/token/revoke"

    def now(self) -> float:
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the OAuth2 clock on, e.g. past a code's 10 minutes or a token's 7 days."""
        self._offset += seconds
        self.world.changed.notify()

    def register_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: Iterable[str],
        *,
        name: str = "Test App",
    ) -> OAuthApp:
        app = OAuthApp(str(client_id), client_secret, list(redirect_uris), name)
        self.apps[app.client_id] = app
        return app

    def _user(self, user: User | str) -> User:
        return self.names[user] if isinstance(user, str) else user

    def sign_in(self, user: User | str) -> None:
        """Who "is signed in to Discord" in every browser from now on (default: the owner)."""
        self.signed_in = self._user(user)

    def issue_token(
        self,
        user: User | str,
        scopes: Iterable[str] = ("identify", "guilds"),
        *,
        client_id: str | int | None = None,
    ) -> Grant:
        """An access token as if ``user`` had gone through the flow (no request recorded)."""
        app = self.apps[str(client_id)] if client_id is not None else self.app
        return self._new_grant(app.client_id, self._user(user), tuple(scopes), refresh=True)

    def revoke_all(self, user: User | str) -> int:
        """``user`` deauthorizes every app (User Settings > Authorized Apps): all their tokens
        and unused codes stop working. Returns how many live tokens were revoked."""
        who = self._user(user)
        now = self.now()
        count = 0
        for grant in self.grants:
            if grant.user.id == who.id and not grant.revoked:
                count += grant.live(now)
                grant.revoked = True
        for code in self.codes.values():
            if code.user.id == who.id:
                code.used = True
        for key in [k for k in self._approved if k[0] == who.id]:
            del self._approved[key]
        self.world.changed.notify()
        return count

    def grant_for(self, access_token: str) -> Grant | None:
        """The live grant behind ``access_token`` (not revoked, not expired), if any."""
        now = self.now()
        for grant in self.grants:
            if hmac.compare_digest(grant.access_token, access_token):
                return grant if grant.live(now) else None
        return None

    # --- what rest.py's middleware asks -------------------------------------------------------

    @staticmethod
    def is_token_endpoint(path: str) -> bool:
        """Routes that authenticate the client themselves (no bot token, no bearer)."""
        return path in TOKEN_PATHS

    @staticmethod
    def _rule(method: str, path: str) -> BearerRule | None:
        return next((r for r in BEARER_RULES if r.method == method and r.pattern.match(path)), None)

    def bot_allowed(self, method: str, path: str) -> bool:
        rule = self._rule(method, path)
        return rule is None or not rule.bearer_only

    def bearer(self, method: str, path: str, access_token: str) -> Grant | None:
        """The grant if ``access_token`` is live and may call this route; else None (401)."""
        rule = self._rule(method, path)
        grant = self.grant_for(access_token)
        if rule is None or grant is None:
            return None
        if rule.scope is not None and rule.scope not in grant.scopes:
            return None
        return grant

    # --- routes -------------------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        routes = [
            web.get("/oauth2/authorize", self.authorize_page),
            web.post("/oauth2/authorize", self.authorize_answer),
            web.get(API + "/oauth2/@me", self.current_authorization),
            web.get(API + "/users/@me/guilds/{guild_id:\\d+}/member", self.my_member),
        ]
        for prefix in ("/api", API):  # Discord documents the unversioned form
            routes += [
                web.post(prefix + "/oauth2/token", self.token),
                web.post(prefix + "/oauth2/token/revoke", self.revoke),
            ]
        app.add_routes(routes)

    # --- authorize ----------------------------------------------------------------------------

    async def authorize_page(self, request: web.Request) -> web.Response:
        query = request.query
        app = self.apps.get(query.get("client_id", ""))
        if app is None:
            return _error_page("invalid_client", "Unknown Application: invalid client_id")
        given = query.get("redirect_uri")
        if given is None:
            if not app.redirect_uris:
                return _error_page("invalid_request", "Invalid OAuth2 redirect_uri")
            redirect_uri = app.redirect_uris[0]  # Discord's default: the first registered
        elif given in app.redirect_uris:
            redirect_uri = given
        else:
            return _error_page("invalid_request", "Invalid OAuth2 redirect_uri")
        response_type = query.get("response_type")
        if response_type != "code":
            what = "Missing" if response_type is None else "Unsupported"
            detail = f"{what} response_type (the emulator does the authorization code grant)"
            return _error_page("unsupported_response_type", detail)
        scopes = tuple(dict.fromkeys(query.get("scope", "").split()))
        problem = self._scope_problem(scopes)
        if problem is not None:
            return _error_page("invalid_scope", problem)
        user = self.signed_in
        pending = _Pending(_random(40), app, user, scopes, redirect_uri, given, query.get("state"))
        earlier = self._approved.get((user.id, app.client_id), set())
        if self.auto_approve or (query.get("prompt") == "none" and set(scopes) <= earlier):
            return self._approve(pending, automatic=True)
        self._pending[pending.ticket] = pending
        return self._consent_page(pending)

    @staticmethod
    def _scope_problem(scopes: tuple[str, ...]) -> str | None:
        if not scopes:
            return "Invalid scope: none given"
        unknown = [s for s in scopes if s not in DISCORD_SCOPES]
        if unknown:
            return f"Invalid scope: {' '.join(unknown)}"
        missing = [s for s in scopes if s not in EMULATED_SCOPES]
        if missing:
            return f"Scope not emulated: {' '.join(missing)}"
        return None

    def _consent_page(self, p: _Pending) -> web.Response:
        esc = html.escape
        items = "".join(
            f'<li data-scope="{esc(s)}">{esc(SCOPE_TEXT.get(s, s))}</li>' for s in p.scopes
        )
        body = f"""<main id="oauth-consent" data-client-id="{esc(p.app.client_id)}">
<h1>{esc(p.app.name)}</h1>
<p>wants to access your Discord account</p>
<p id="signed-in-as" data-user-id="{p.user.id}">Signed in as
<strong>{esc(p.user.name.lower())}</strong></p>
<p>This will allow the developer of {esc(p.app.name)} to:</p>
<ul id="scopes">{items}</ul>
<p>Once you authorize, you will be redirected outside of Discord to:
<code id="redirect-uri">{esc(p.redirect_uri)}</code></p>
<form id="consent" method="post" action="/oauth2/authorize">
<input type="hidden" name="ticket" value="{esc(p.ticket)}">
<button type="submit" id="cancel" name="decision" value="cancel">Cancel</button>
<button type="submit" id="authorize" name="decision" value="authorize">Authorize</button>
</form>
</main>"""
        return _page(200, "Discord | Authorize access to your account", body)

    async def authorize_answer(self, request: web.Request) -> web.Response:
        form = await request.post()
        pending = self._pending.pop(str(form.get("ticket", "")), None)
        if pending is None:
            return _error_page("invalid_request", "This authorization request is no longer valid")
        if form.get("decision") == "authorize":
            return self._approve(pending)
        self.consents.append(Consent(pending.user, pending.app.client_id, pending.scopes, False))
        self.world.changed.notify()
        params = {"error": "access_denied", "error_description": ACCESS_DENIED}
        return _redirect(_with_query(pending.redirect_uri, {**params, "state": pending.state}))

    def _approve(self, p: _Pending, *, automatic: bool = False) -> web.Response:
        code = AuthCode(
            _random(),
            p.app.client_id,
            p.user,
            p.scopes,
            p.redirect_uri,
            p.redirect_given,
            self.now() + self.code_lifetime,
        )
        self.codes[code.code] = code
        self._approved.setdefault((p.user.id, p.app.client_id), set()).update(p.scopes)
        self.consents.append(Consent(p.user, p.app.client_id, p.scopes, True, automatic))
        self.world.changed.notify()
        return _redirect(_with_query(p.redirect_uri, {"code": code.code, "state": p.state}))

    # --- token and revoke ---------------------------------------------------------------------

    async def _form(self, request: web.Request) -> Mapping[str, str]:
        # Discord reads only form bodies: JSON leaves every field missing.
        if request.content_type != "application/x-www-form-urlencoded":
            return {}
        return {k: str(v) for k, v in (await request.post()).items()}

    def _client(
        self, request: web.Request, form: Mapping[str, str]
    ) -> tuple[OAuthApp | None, str | None, str | None]:
        """(the authenticated app or None, the client_id sent, how it was sent)."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None, None, "basic"
            login, _, password = decoded.partition(":")
            # RFC 6749 2.3.1: both parts are form-urlencoded before the Basic encoding.
            client_id, secret, via = unquote_plus(login), unquote_plus(password), "basic"
        elif "client_id" in form or "client_secret" in form:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            via = "body"
        else:
            return None, None, None
        app = self.apps.get(client_id)
        if app is None or not hmac.compare_digest(secret, app.client_secret):
            return None, client_id, via
        return app, client_id, via

    def _record(
        self,
        exchange: TokenExchange,
        response: web.Response,
        grant: Grant | None = None,
    ) -> web.Response:
        if grant is not None:
            exchange.user_id, exchange.scope = grant.user.id, " ".join(grant.scopes)
        self.exchanges.append(exchange)
        self.world.changed.notify()
        return response

    async def token(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        grant_type = form.get("grant_type")
        app, client_id, via = self._client(request, form)
        record = TokenExchange("token", grant_type, client_id, via, 200, None)

        def fail(status: int, code: str, description: str | None = None) -> web.Response:
            record.status, record.error = status, code
            body = {"error": code}
            if description is not None:
                body["error_description"] = description
            return self._record(record, _token_json(body, status))

        if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
            return fail(400, "unsupported_grant_type")
        if app is None:
            return fail(401, "invalid_client")
        if grant_type == "authorization_code":
            outcome = self._exchange_code(app, form)
        elif grant_type == "refresh_token":
            outcome = self._refresh(app, form)
        else:
            outcome = self._client_credentials(app, form)
        if isinstance(outcome, tuple):
            return fail(*outcome)
        data: dict[str, Any] = {
            "access_token": outcome.access_token,
            "token_type": "Bearer",
            "expires_in": int(self.token_lifetime),
        }
        if outcome.refresh_token is not None:
            data["refresh_token"] = outcome.refresh_token
        data["scope"] = " ".join(outcome.scopes)
        return self._record(record, _token_json(data), outcome)

    def _exchange_code(
        self, app: OAuthApp, form: Mapping[str, str]
    ) -> Grant | tuple[int, str, str]:
        value = form.get("code")
        if not value:
            return 400, "invalid_request", 'Missing "code" in request.'
        code = self.codes.get(value)
        if (
            code is None
            or code.used
            or code.client_id != app.client_id
            or self.now() >= code.expires_at
        ):
            return 400, "invalid_grant", 'Invalid "code" in request.'
        sent = form.get("redirect_uri")
        expected = code.redirect_given
        if (expected is not None and sent != expected) or (
            expected is None and sent is not None and sent != code.redirect_uri
        ):
            return 400, "invalid_grant", 'Invalid "redirect_uri" in request.'
        code.used = True
        return self._new_grant(app.client_id, code.user, code.scopes, refresh=True)

    def _refresh(self, app: OAuthApp, form: Mapping[str, str]) -> Grant | tuple[int, str, str]:
        value = form.get("refresh_token")
        if not value:
            return 400, "invalid_request", 'Missing "refresh_token" in request.'
        old = next(
            (
                g
                for g in self.grants
                if g.refresh_token is not None and hmac.compare_digest(g.refresh_token, value)
            ),
            None,
        )
        if old is None or old.revoked or old.client_id != app.client_id:
            return 400, "invalid_grant", 'Invalid "refresh_token" in request.'
        scopes = old.scopes
        if form.get("scope"):
            asked = tuple(dict.fromkeys(form["scope"].split()))
            if not set(asked) <= set(old.scopes):
                return 400, "invalid_scope", INVALID_SCOPE
            scopes = asked
        old.revoked = True  # the refreshed access token and the used refresh token both go
        return self._new_grant(app.client_id, old.user, scopes, refresh=True)

    def _client_credentials(
        self, app: OAuthApp, form: Mapping[str, str]
    ) -> Grant | tuple[int, str, str]:
        """A token for the app's owner, without a refresh token."""
        scopes = tuple(dict.fromkeys(form.get("scope", "").split()))
        if self._scope_problem(scopes) is not None:
            return 400, "invalid_scope", INVALID_SCOPE
        return self._new_grant(app.client_id, self.owner, scopes, refresh=False)

    def _new_grant(
        self, client_id: str, user: User, scopes: tuple[str, ...], *, refresh: bool
    ) -> Grant:
        grant = Grant(
            client_id,
            user,
            scopes,
            _random(),
            _random() if refresh else None,
            self.now() + self.token_lifetime,
        )
        self.grants.append(grant)
        return grant

    async def revoke(self, request: web.Request) -> web.Response:
        """RFC 7009: revoking either token ends the whole authorization of that app by that
        user; an unknown token is not an error."""
        form = await self._form(request)
        app, client_id, via = self._client(request, form)
        record = TokenExchange("revoke", None, client_id, via, 200, None)
        if app is None:
            record.status, record.error = 401, "invalid_client"
            return self._record(record, _token_json({"error": "invalid_client"}, 401))
        token = form.get("token")
        if not token:
            record.status, record.error = 400, "invalid_request"
            body = {"error": "invalid_request", "error_description": 'Missing "token" in request.'}
            return self._record(record, _token_json(body, 400))
        found = next(
            (
                g
                for g in self.grants
                if g.client_id == app.client_id and token in (g.access_token, g.refresh_token)
            ),
            None,
        )
        if found is not None:
            for grant in self.grants:
                if grant.client_id == app.client_id and grant.user.id == found.user.id:
                    grant.revoked = True
            for code in self.codes.values():
                if code.client_id == app.client_id and code.user.id == found.user.id:
                    code.used = True
            self._approved.pop((found.user.id, app.client_id), None)
        return self._record(record, _token_json({}), found)

    # --- bearer-only routes -------------------------------------------------------------------

    def user_payload(self, grant: Grant) -> dict[str, Any]:
        """``GET /users/@me`` for an access token: no ``email`` without the email scope."""
        u = grant.user
        data = {
            **payloads.user(u),
            "mfa_enabled": False,
            "banner": None,
            "accent_color": None,
            "locale": "en-US",
            "flags": 0,
            "premium_type": 0,
        }
        if "email" in grant.scopes:
            data.update(email=f"{u.name.lower()}@users.emulator.invalid", verified=True)
        return data

    async def current_authorization(self, request: web.Request) -> web.Response:
        grant: Grant = request[OAUTH_GRANT]
        app = self.apps[grant.client_id]
        data: dict[str, Any] = {
            "application": {
                "id": app.client_id,
                "name": app.name,
                "icon": None,
                "description": "",
                "hook": True,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
            },
            "scopes": list(grant.scopes),
            "expires": datetime.fromtimestamp(grant.expires_at, UTC).isoformat(),
        }
        if "identify" in grant.scopes:
            data["user"] = payloads.user(grant.user)
        return json_response(data)

    async def my_member(self, request: web.Request) -> web.Response:
        grant: Grant = request[OAUTH_GRANT]
        guild = self.world.guilds.get(int(request.match_info["guild_id"]))
        member = guild.members.get(grant.user.id) if guild else None
        if member is None:
            return error(404, 10004, "Unknown Guild")
        return json_response(payloads.member(member))
