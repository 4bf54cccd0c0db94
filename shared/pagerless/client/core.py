"""The sync and async clients: one set of resources, run by either transport."""

import os
from typing import Any

import httpx
from pydantic import TypeAdapter

from pagerless.client import resources
from pagerless.client.resources import Call

DEFAULT_TIMEOUT = 15.0


class ApiError(Exception):
    """An error answer of the API (``{"error": {"code", "message", "details"}}``)."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details or []


class _Base:
    def __init__(self, base_url: str | None = None, api_key: str | None = None) -> None:
        # stripped: a value read from a secret file keeps its newline, which httpx refuses (its
        # error would print the key)
        self.base_url = (base_url or os.environ.get("PAGERLESS_URL") or "http://127.0.0.1:8080").strip().rstrip("/")
        self.api_key = (api_key or os.environ.get("PAGERLESS_API_KEY") or "").strip() or None
        self.incidents = resources.Incidents(self._run)
        self.alerts = resources.Alerts(self._run)
        self.approvals = resources.Approvals(self._run)
        self.knowledge = resources.Knowledge(self._run)
        self.config = resources.ConfigResource(self._run)
        self.runbooks = resources.Runbooks(self._run)
        self.jobs = resources.Jobs(self._run)

    def _headers(self) -> dict[str, str]:
        headers = {"user-agent": "pagerless-sdk"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        return headers


def _parse(call: Call, response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise _error(response)
    if response.status_code == 204 or not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        raise ApiError(response.status_code, "NOT_JSON", f"not a Pagerless answer: {response.text[:200]}") from None
    return TypeAdapter(call.model).validate_python(body) if call.model is not None else body


def _error(response: httpx.Response) -> ApiError:
    """The API's ``{"error": {...}}``; anything else (a proxy's text, API Gateway's ``{"message"}``,
    a redirect httpx does not follow) is an ApiError with the status and what the body said."""
    try:
        error = response.json()["error"]
        return ApiError(
            response.status_code,
            str(error.get("code") or "ERROR"),
            str(error.get("message") or ""),
            error.get("details"),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    if response.is_redirect:
        return ApiError(response.status_code, "REDIRECT", f"redirected to {response.headers.get('location')}")
    return ApiError(response.status_code, "HTTP_ERROR", response.text[:500])


class Client(_Base):
    """Synchronous client. Use as a context manager, or call ``close()``."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key)
        self._http = httpx.Client(base_url=self.base_url, headers=self._headers(), timeout=timeout, transport=transport)

    def _run(self, call: Call):
        response = self._http.request(
            call.method, call.path, params=call.query(), json=call.json, content=call.content, headers=call.headers
        )
        return _parse(call, response)

    def iterate(self, page_call):
        """Every item of a paged list: ``client.iterate(lambda cursor: client.incidents.list(cursor=cursor))``."""
        cursor = None
        while True:
            page = page_call(cursor)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncClient(_Base):
    """Asynchronous client: every resource method returns an awaitable."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers(), timeout=timeout, transport=transport
        )

    async def _run(self, call: Call):
        response = await self._http.request(
            call.method, call.path, params=call.query(), json=call.json, content=call.content, headers=call.headers
        )
        return _parse(call, response)

    async def iterate(self, page_call):
        """Every item of a paged list: ``async for i in client.iterate(lambda c: client.incidents.list(cursor=c))``."""
        cursor = None
        while True:
            page = await page_call(cursor)
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
