"""Cursor pagination: `?limit=` and an opaque `?cursor=`; `{"items": [...], "next_cursor": ...}`.

Store queries page with DynamoDB's own key (`store.base.encode_cursor`); lists assembled in memory
page with `pagerless.domain.pages.page_of`.
"""

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from pagerless.domain.pages import page_of

__all__ = ["CursorParam", "LimitParam", "Page", "page_of"]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


LimitParam = Annotated[int, Query(ge=1, le=200, description="page size")]
CursorParam = Annotated[str | None, Query(description="opaque cursor from next_cursor")]
