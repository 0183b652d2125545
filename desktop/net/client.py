"""``ApiClient``: the server API over ``httpx.AsyncClient``.

Bearer tokens with one automatic refresh on 401 (refresh tokens rotate, so concurrent 401s share
one refresh), ``If-None-Match`` revalidation of dashboards and scorecards, and every failure turned
into ``ApiError`` (a problem+json answer) or ``ServerUnreachable`` (no answer at all).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from desktop.net.errors import ApiError, IncompatibleServer, ServerUnreachable
from shared.analytics import ManagerDashboard, Scorecard, TeamDashboard
from shared.auth import (
    LoginRequest,
    Me,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    TokenPair,
)
from shared.directory import AgentList, KpiList, TeamList
from shared.errors import PROBLEM_MEDIA_TYPE, ErrorCode
from shared.sessions import (
    BookingConflict,
    ConflictList,
    Decline,
    Override,
    Reschedule,
    ResolveResult,
    Session,
    SessionCreate,
    SessionPage,
    SessionPatch,
    Slot,
    SlotList,
)
from shared.sync import ChangesPage, PushRequest, PushResponse
from shared.version import ServerVersion, speaks

M = TypeVar("M", bound=BaseModel)
API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
TokenCallback = Callable[[TokenPair], None]


def _query_value(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def segment(value: str) -> str:
    """``value`` as one path segment: every reserved character quoted, and a dot segment too, so
    an id like ``../../admin`` cannot climb out of the path it is put in."""
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _params(values: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters without the ``None`` ones; ``from_`` is sent as ``from``."""
    return {key.rstrip("_"): _query_value(value) for key, value in values.items() if value is not None}


class ApiClient:
    """One signed-in connection to a Coaching Hub server."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_tokens: TokenCallback | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)
        self.on_tokens = on_tokens
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._refresh_lock = asyncio.Lock()
        # Last ETag and body per URL, for If-None-Match revalidation.
        self._etags: dict[str, tuple[str, bytes]] = {}

    # -- connection state -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    @base_url.setter
    def base_url(self, url: str) -> None:
        if url.rstrip("/") != self.base_url:
            self.clear_tokens()
        self._http.base_url = httpx.URL(url)

    @property
    def refresh_token(self) -> str | None:
        return self._refresh_token

    @property
    def signed_in(self) -> bool:
        return self._access_token is not None or self._refresh_token is not None

    def set_tokens(self, access_token: str | None, refresh_token: str | None) -> None:
        self._access_token = access_token
        self._refresh_token = refresh_token

    def clear_tokens(self) -> None:
        self._access_token = None
        self._refresh_token = None
        self._etags.clear()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- plumbing --------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """Send, refresh once on 401, and raise for anything that is not a success or a 304."""

        async def send() -> httpx.Response:
            all_headers = dict(headers or {})
            token = self._access_token
            if auth and token:
                all_headers["Authorization"] = f"Bearer {token}"
            try:
                return await self._http.request(
                    method, API_PREFIX + path, json=json, params=params, headers=all_headers
                )
            except httpx.TransportError as exc:
                raise ServerUnreachable(f"{self.base_url} does not answer: {exc!r}") from exc

        used_token = self._access_token
        response = await send()
        if response.status_code == 401 and auth and self._refresh_token is not None:
            await self._refresh_after(used_token)
            response = await send()
        if response.status_code >= 400:
            raise self._error(response)
        return response

    @asynccontextmanager
    async def stream(
        self, method: str, path: str, headers: Mapping[str, str], timeouts: httpx.Timeout
    ) -> AsyncIterator[httpx.Response]:
        """A signed-in streaming request, open for the block once it answered with a success
        (refreshed once on 401); anything else raises like every other call."""
        for attempt in range(2):
            used_token = self._access_token
            all_headers = dict(headers)
            if used_token:
                all_headers["Authorization"] = f"Bearer {used_token}"
            request = self._http.build_request(method, path, headers=all_headers, timeout=timeouts)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise ServerUnreachable(f"{self.base_url} does not answer: {exc!r}") from exc
            try:
                if response.status_code == 401 and attempt == 0 and self._refresh_token is not None:
                    await self._refresh_after(used_token)
                    continue
                if response.status_code >= 400:
                    await response.aread()
                    raise self._error(response)
                yield response
                return
            finally:
                await response.aclose()

    @staticmethod
    def _error(response: httpx.Response) -> ApiError | ServerUnreachable:
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        is_problem = media_type in (PROBLEM_MEDIA_TYPE, "application/json")
        if response.status_code >= 500 and not is_problem:
            # A gateway answering for a server that is down: the server itself is unreachable.
            return ServerUnreachable(f"HTTP {response.status_code} from a gateway")
        try:
            body = response.json() if is_problem else {}
        except ValueError:
            body = {}
        return ApiError.from_problem(response.status_code, body)

    async def _refresh_after(self, used_token: str | None) -> None:
        async with self._refresh_lock:
            if self._access_token != used_token:
                return  # another call refreshed while this one waited
            await self.refresh()

    async def _get_model(self, path: str, model: type[M], params: Mapping[str, str] | None = None) -> M:
        response = await self._call("GET", path, params=params)
        return model.model_validate_json(response.content)

    async def _get_revalidated(self, path: str, model: type[M], params: Mapping[str, str]) -> M:
        """GET with ``If-None-Match``: a 304 answers with the body kept from the last 200."""
        key = str(httpx.URL(path, params=params))
        cached = self._etags.get(key)
        headers = {"If-None-Match": cached[0]} if cached else None
        response = await self._call("GET", path, params=params, headers=headers)
        if response.status_code == 304 and cached is not None:
            return model.model_validate_json(cached[1])
        tag = response.headers.get("etag")
        if tag:
            self._etags[key] = (tag, response.content)
        return model.model_validate_json(response.content)

    def _take_pair(self, pair: TokenPair) -> TokenPair:
        self.set_tokens(pair.access_token, pair.refresh_token)
        if self.on_tokens is not None:
            self.on_tokens(pair)
        return pair

    # -- versions ----------------------------------------------------------------------------

    async def check_server(self) -> ServerVersion:
        """The server's versions; ``IncompatibleServer`` unless it speaks this app's API major.

        Asked before anything else, so a password never goes to a server the app cannot talk to.
        """
        try:
            response = await self._call("GET", "/version", auth=False)
        except ApiError as exc:
            # A Coaching Hub server refuses with a problem body that has a code; a 404, or a page
            # from some other web server, means there is no Coaching Hub API at this address.
            if exc.status != 404 and "code" in exc.problem:
                raise
            raise IncompatibleServer(self.base_url, None) from exc
        try:
            found = ServerVersion.model_validate_json(response.content)
        except ValidationError as exc:
            raise IncompatibleServer(self.base_url, None) from exc
        if not speaks(found):
            raise IncompatibleServer(self.base_url, found)
        return found

    # -- auth --------------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> TokenPair:
        self.clear_tokens()
        body = LoginRequest(email=email, password=password).model_dump()
        response = await self._call("POST", "/auth/login", json=body, auth=False)
        return self._take_pair(TokenPair.model_validate_json(response.content))

    async def refresh(self, refresh_token: str | None = None) -> TokenPair:
        """Rotate the refresh token. A refused one signs this client out before raising."""
        token = refresh_token or self._refresh_token
        if token is None:
            raise ApiError(401, ErrorCode.UNAUTHORIZED, "Not signed in.", {})
        body = RefreshRequest(refresh_token=token).model_dump()
        try:
            response = await self._call("POST", "/auth/refresh", json=body, auth=False)
        except ApiError:
            self.clear_tokens()
            raise
        return self._take_pair(TokenPair.model_validate_json(response.content))

    async def logout(self) -> None:
        try:
            if self._access_token is not None:
                await self._call("POST", "/auth/logout")
        finally:
            self.clear_tokens()

    async def me(self) -> Me:
        return await self._get_model("/me", Me)

    async def request_password_reset(self, email: str) -> PasswordResetAccepted:
        body = PasswordResetRequest(email=email).model_dump()
        response = await self._call("POST", "/auth/password-reset", json=body, auth=False)
        return PasswordResetAccepted.model_validate_json(response.content)

    async def confirm_password_reset(self, token: str, new_password: str) -> None:
        body = PasswordResetConfirm(token=token, new_password=new_password).model_dump()
        await self._call("POST", "/auth/password-reset/confirm", json=body, auth=False)

    # -- directory ---------------------------------------------------------------------------

    async def teams(self) -> TeamList:
        return await self._get_model("/teams", TeamList)

    async def agents(self, team_id: str | None = None) -> AgentList:
        return await self._get_model("/agents", AgentList, _params({"team_id": team_id}))

    async def kpis(self) -> KpiList:
        return await self._get_model("/kpis", KpiList)

    # -- analytics ---------------------------------------------------------------------------

    async def team_dashboard(self, period: str, team_id: str | None = None) -> TeamDashboard:
        params = _params({"period": period, "team_id": team_id})
        return await self._get_revalidated("/dashboards/team", TeamDashboard, params)

    async def manager_dashboard(self, period: str) -> ManagerDashboard:
        return await self._get_revalidated(
            "/dashboards/manager", ManagerDashboard, _params({"period": period})
        )

    async def scorecard(self, agent_id: str, period: str) -> Scorecard:
        path = f"/agents/{segment(agent_id)}/scorecard"
        return await self._get_revalidated(path, Scorecard, _params({"period": period}))

    # -- sessions ----------------------------------------------------------------------------

    async def list_sessions(self, **filters: Any) -> SessionPage:
        """One page; filters: ``from_``, ``to``, ``agent_id``, ``coach_id``, ``team_id``, ``status``,
        ``limit``, ``cursor``."""
        return await self._get_model("/sessions", SessionPage, _params(filters))

    async def all_sessions(self, **filters: Any) -> list[Session]:
        """Every page of ``list_sessions`` followed through its keyset cursor."""
        items: list[Session] = []
        cursor: str | None = None
        while True:
            page = await self.list_sessions(**filters, cursor=cursor)
            items.extend(page.items)
            if page.next_cursor is None:
                return items
            cursor = page.next_cursor

    async def get_session(self, session_id: str) -> Session:
        return await self._get_model(f"/sessions/{segment(session_id)}", Session)

    async def book_session(self, body: SessionCreate, idempotency_key: str) -> Session:
        response = await self._call(
            "POST",
            "/sessions",
            json=body.model_dump(mode="json", exclude_none=True),
            headers={"Idempotency-Key": idempotency_key},
        )
        return Session.model_validate_json(response.content)

    async def update_session(self, session_id: str, version: int, patch: SessionPatch) -> Session:
        response = await self._call(
            "PATCH",
            f"/sessions/{segment(session_id)}",
            json=patch.model_dump(mode="json", exclude_none=True),
            headers={"If-Match": f'"{version}"'},
        )
        return Session.model_validate_json(response.content)

    async def free_slots(
        self, agent_id: str, day: date, duration_minutes: int, coach_id: str | None = None
    ) -> list[Slot]:
        params = _params(
            {"agent_id": agent_id, "coach_id": coach_id, "date": day, "duration_minutes": duration_minutes}
        )
        return (await self._get_model("/sessions/free-slots", SlotList, params)).items

    async def conflicts(self) -> list[BookingConflict]:
        return (await self._get_model("/conflicts", ConflictList)).items

    async def resolve_conflict(
        self, session_id: str, version: int, body: Reschedule | Decline | Override
    ) -> ResolveResult:
        response = await self._call(
            "POST",
            f"/conflicts/{segment(session_id)}/resolve",
            json=body.model_dump(mode="json"),
            headers={"If-Match": f'"{version}"'},
        )
        return ResolveResult.model_validate_json(response.content)

    # -- sync --------------------------------------------------------------------------------

    async def sync_changes(self, since: str | None, limit: int = 1000) -> ChangesPage:
        return await self._get_model("/sync/changes", ChangesPage, _params({"since": since, "limit": limit}))

    async def sync_push(self, body: PushRequest) -> PushResponse:
        response = await self._call("POST", "/sync/push", json=body.model_dump(mode="json"))
        return PushResponse.model_validate_json(response.content)
