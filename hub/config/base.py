"""The base of every configuration model: camelCase on the wire, unknown keys kept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Base: camelCase aliases, population by either name, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        validate_assignment=False,
    )

    def wire(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        """The JSON form, camelCase, as MCPHub reads and writes it."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_unset=exclude_unset, exclude_none=True
        )
