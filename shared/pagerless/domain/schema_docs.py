"""Request bodies documented in the OpenAPI: one example of the whole body, a description per field.

    class ApiKeyCreate(BaseModel):
        model_config = ConfigDict(**documented({"name": "ci-deployer", "role": "operator"},
                                               name="A label for the key, shown beside its id.", ...))

A field's own ``Field(description=...)`` wins over the one given here.
"""

from typing import Any


def documented(example: dict[str, Any], **descriptions: str) -> dict[str, Any]:
    """A ``model_config`` fragment adding ``examples: [example]`` and the fields' descriptions."""

    def extra(schema: dict[str, Any], model: type | None = None) -> None:
        schema.setdefault("examples", [example])
        for name, text in descriptions.items():
            prop = schema.get("properties", {}).get(name)
            if prop is not None:
                prop.setdefault("description", text)

    return {"json_schema_extra": extra}
