"""The Pagerless Python SDK: ``Client`` (sync) and ``AsyncClient`` on httpx, with typed models.

    from pagerless.client import AsyncClient
    async with AsyncClient("http://127.0.0.1:8080", api_key=KEY) as client:
        incidents = await client.incidents.list(status="diagnosing")
        incident = await client.incidents.get(incidents.items[0].id)
        await client.config.update({"LLM_MODEL": "claude-sonnet-5-5"})

Errors answer as ``ApiError`` with the API's code, message and details.
"""

from pagerless.client.core import ApiError, AsyncClient, Client

__all__ = ["ApiError", "AsyncClient", "Client"]
