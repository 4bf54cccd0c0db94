"""Cursor pagination: `?limit=` and an opaque `?cursor=`; `{"items": [...], "next_cursor": ...}`."""

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


LimitParam = Annotated[int, Query(ge=1, le=200, description="page size")]
CursorParam = Annotated[str | None, Query(description="opaque cursor from next_cursor")]
