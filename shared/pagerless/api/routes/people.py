from typing import Annotated, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import AdminDep, ViewerDep
from pagerless.domain.schema_docs import documented
from pagerless.people.service import PeopleService

router = APIRouter(tags=["people"], route_class=DeferredRoute)


def people_service() -> PeopleService:
    return PeopleService()


PeopleDep = Annotated[PeopleService, Depends(people_service)]


class ContactIn(BaseModel):
    kind: Literal["email", "phone", "slack", "lark", "teams"]
    value: str = Field(min_length=1, max_length=200)


class PersonCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "name": "Alice Chen",
                "email": "alice@example.com",
                "timezone": "Asia/Shanghai",
                "role": "operator",
                "contacts": [{"kind": "email", "value": "alice@example.com"}],
            },
            name="The person's name, shown beside their id.",
            email="Their email address.",
            timezone="IANA time zone, e.g. Europe/Berlin. Without one: UTC, and a page to them reads in its channel's zone.",
            role="viewer, operator or admin (what they may do from chat).",
            contacts="How to reach them (email, phone, slack, lark, teams: their UPN or Entra object ID).",
        )
    )
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    timezone: str = "UTC"
    role: Literal["viewer", "operator", "admin"] = "viewer"
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)


class PersonUpdate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"timezone": "Europe/Berlin"},
            name="A new name.",
            email="A new email address.",
            timezone="IANA time zone.",
            role="viewer, operator or admin.",
            contacts="The new full list of contacts.",
        )
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=254)
    timezone: str | None = None
    role: Literal["viewer", "operator", "admin"] | None = None
    contacts: list[ContactIn] | None = Field(default=None, max_length=20)


class ContactPublic(BaseModel):
    kind: str = Field(
        description="email, phone, slack, lark or teams; another kind (stored by a newer version) is shown as "
        "stored, kept by edits that leave the contacts alone, and reaches nobody here"
    )
    value: str


class PersonPublic(BaseModel):
    id: str
    workspace: str
    name: str
    email: str
    timezone: str
    role: str
    contacts: list[ContactPublic]
    created_at: str
    updated_at: str


@router.get("/api/people", response_model=Page[PersonPublic])
def list_people(principal: ViewerDep, people: PeopleDep, limit: LimitParam = 200, cursor: CursorParam = None) -> dict:
    """People of the caller's workspace."""
    items, next_cursor = people.list(principal.workspace, limit=limit, cursor=cursor)
    return {"items": [p.to_public() for p in items], "next_cursor": next_cursor}


@router.post("/api/people", response_model=PersonPublic, status_code=status.HTTP_201_CREATED)
def create_person(body: PersonCreate, principal: AdminDep, people: PeopleDep) -> dict:
    """Add a person (their role is what they may do from chat and email links)."""
    fields = body.model_dump()
    if "timezone" not in body.model_fields_set:  # none chosen: pages to them read in their channel's zone
        fields["timezone"] = None
    return people.create(principal.workspace, **fields).to_public()


@router.get("/api/people/{person_id}", response_model=PersonPublic)
def get_person(person_id: str, principal: ViewerDep, people: PeopleDep) -> dict:
    """One person."""
    return people.get(principal.workspace, person_id).to_public()


@router.patch("/api/people/{person_id}", response_model=PersonPublic)
def update_person(person_id: str, body: PersonUpdate, principal: AdminDep, people: PeopleDep) -> dict:
    """Change a person's name, email, timezone, role or contacts (only the fields sent; 409 if it kept changing)."""
    return people.update(principal.workspace, person_id, **body.model_dump(exclude_unset=True)).to_public()


@router.delete("/api/people/{person_id}", response_model=PersonPublic)
def delete_person(person_id: str, principal: AdminDep, people: PeopleDep) -> dict:
    """Remove a person and unbind their chat identities (409 while on-call or a policy names them)."""
    from pagerless.oncall.service import OncallService
    from pagerless.people.identities import ChatIdentityService

    # deleted while still named there, they would be paged at no address and the schedule not be editable
    person = OncallService().release_person(
        principal.workspace, person_id, lambda at: people.delete(principal.workspace, person_id, at)
    )
    identities = ChatIdentityService()
    for identity in identities.list(principal.workspace, person_id=person_id):
        identities.unbind(principal.workspace, identity.provider, identity.tenant, identity.user)
    return person.to_public()
