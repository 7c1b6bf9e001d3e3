"""`@dataCategory`: the field metadata every department publishes in its SDL.

The directive is composed into the supergraph (`@composeDirective`), so the
gateway, GraphiQL and the public data register read it from the schema.
Category names follow the fideslang taxonomy (`user.health_and_medical`, ...)
with department-specific sub-categories below them; `public.*` marks
reference data about organisations rather than people.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directive import schema_directive
from strawberry.schema_directive import Location

SPEC_URL = "https://specs.joinedup.gov.uk/data-category/v1.0"


@strawberry.enum(description="How much harm a disclosure could do (UK GDPR).")
class Sensitivity(Enum):
    PUBLIC = "PUBLIC"
    PERSONAL = "PERSONAL"
    SPECIAL = "SPECIAL"  # special category data, UK GDPR Article 9 (and Article 10)


@schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="dataCategory",
    compose=True,
    import_url=SPEC_URL,
    description="The data category of a field and how sensitive it is.",
)
class DataCategory:
    name: str
    sensitivity: Sensitivity


def data(category: str, sensitivity: Sensitivity = Sensitivity.PERSONAL, **options: Any) -> Any:
    """A field carrying `@dataCategory(name: category, sensitivity: sensitivity)`."""
    directive = DataCategory(name=category, sensitivity=sensitivity)
    return strawberry.federation.field(directives=[directive], **options)


PUBLIC = Sensitivity.PUBLIC
PERSONAL = Sensitivity.PERSONAL
SPECIAL = Sensitivity.SPECIAL
