from fastapi import APIRouter, Request, Response

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import ViewerDep

router = APIRouter(tags=["mcp"], route_class=DeferredRoute)

_PASSED_HEADERS = ("content-type", "mcp-session-id", "mcp-protocol-version", "allow", "www-authenticate")


@router.post("/api/mcp")
async def mcp_post(request: Request, principal: ViewerDep) -> Response:
    """The MCP server (streamable HTTP, stateless, JSON responses); the bearer token is a Pagerless API key."""
    return await _serve(request, principal)


@router.get("/api/mcp")
async def mcp_get(request: Request, principal: ViewerDep) -> Response:
    """MCP's server-to-client stream; a stateless server offers none and answers 405, as the protocol allows."""
    from fastapi.responses import JSONResponse

    return JSONResponse(
        {
            "error": {
                "code": "METHOD_NOT_ALLOWED",
                "details": [],
                "message": "this MCP server is stateless: POST requests; there is no GET stream",
            }
        },
        status_code=405,
        headers={"Allow": "POST, DELETE"},
    )


@router.delete("/api/mcp")
async def mcp_delete(request: Request, principal: ViewerDep) -> Response:
    """MCP session termination; a stateless server has no session to end."""
    return await _serve(request, principal)


async def _serve(request: Request, principal) -> Response:
    from pagerless.mcp.server import handle

    captured: dict = {"status": 500, "headers": [], "body": b""}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            captured["status"] = message["status"]
            captured["headers"] = message.get("headers") or []
        elif message["type"] == "http.response.body":
            captured["body"] += message.get("body", b"")

    await handle(principal, request.scope, request.receive, send)
    headers = {
        k.decode("latin-1"): v.decode("latin-1")
        for k, v in captured["headers"]
        if k.decode("latin-1").lower() in _PASSED_HEADERS
    }
    return Response(captured["body"], status_code=captured["status"], headers=headers)
