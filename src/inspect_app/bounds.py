"""What a client may send, in one place: integers that fit the database, one parser for numbers
typed into forms and query strings, and string lengths read from the columns they are stored in.

Handlers and JSON schemas use the Annotated types below, so Litestar refuses an out-of-range
value with a 400 before any query runs, and the OpenAPI schema documents the same bounds."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from annotated_types import Ge, Le

F = TypeVar("F")

MAX_ID = 2**63 - 1  # a 64-bit signed integer: SQLite's INTEGER, PostgreSQL's BIGINT
MAX_INT32 = 2**31 - 1  # PostgreSQL's INTEGER, used by versions, positions and day counts
MAX_OFFSET = 1_000_000  # far beyond any list this office has; keeps OFFSET cheap
MAX_DIGITS = len(str(MAX_ID))

Id = Annotated[int, Ge(1), Le(MAX_ID)]
# Litestar drops constraints wrapped inside `Id | None`; on the union itself they hold.
OptionalId = Annotated[int | None, Ge(1), Le(MAX_ID)]
Offset = Annotated[int, Ge(0), Le(MAX_OFFSET)]
Page = Annotated[int, Ge(1), Le(MAX_OFFSET)]
Version = Annotated[int, Ge(1), Le(MAX_INT32)]
OptionalVersion = Annotated[int | None, Ge(1), Le(MAX_INT32)]


def row_or_none(session: Any, model: type[F], row_id: int | None) -> F | None:
    """The row with this id, or None, also for an id beyond what the table's key can hold
    (INTEGER: 32 bits on PostgreSQL, which refuses the query rather than finding nothing)."""
    if row_id is None or not 1 <= row_id <= MAX_INT32:
        return None
    found: F | None = session.get(model, row_id)
    return found


def parse_whole(raw: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole number written in ASCII digits within [low, high], else None.

    `str.isdigit()` also accepts "²" or "٣", which `int()` refuses or reads as another digit,
    and nothing bounds its length: never pair it with `int()` over user text; call this."""
    text = (raw or "").strip()
    if not (0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


TRUE_WORDS = frozenset({"1", "true", "on", "yes", "y"})


def parse_flag(raw: object, *, default: bool = False) -> bool:
    """A yes/no from a form, a query string or a CSV cell: a ticked box sends "on", a link
    "1" or "true", a spreadsheet "yes"; absent means `default`, anything else no."""
    if raw is None:
        return default
    return str(raw).strip().lower() in TRUE_WORDS


def read_form(cls: type[F], data: Mapping[str, object], *, keep_spaces: tuple[str, ...] = ()) -> F:
    """A typed form (a dataclass) from what a form or a CSV row sent, read once at the edge:
    text trimmed (but not the fields in `keep_spaces`, e.g. a password), yes/no fields by
    `parse_flag` with the field's default, `str | None` fields None when absent."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        raw = data.get(field.name)
        if field.type == "bool":
            values[field.name] = parse_flag(raw, default=bool(field.default))
        elif field.type == "str | None" and raw is None:
            values[field.name] = None
        else:
            text = "" if raw is None else str(raw)
            values[field.name] = text if field.name in keep_spaces else text.strip()
    return cls(**values)


class FormFields:
    """Base of a typed form (a frozen dataclass): `from_form` reads it with `read_form`."""

    KEEP_SPACES: tuple[str, ...] = ()  # fields taken as typed, e.g. a password

    @classmethod
    def from_form(cls: type[F], data: Mapping[str, object]) -> F:
        return read_form(cls, data, keep_spaces=cls.KEEP_SPACES)  # type: ignore[attr-defined]


def column_length(model: Any, name: str) -> int:
    """The length of a VARCHAR column, so a schema or form limit cannot drift from its table."""
    length: int | None = model.__table__.c[name].type.length
    if length is None:
        raise TypeError(f"{model.__name__}.{name} has no length")
    return length


def bounded(text: str, limit: int) -> str:
    """Client text as it may be stored: no NUL characters (PostgreSQL refuses them), cut to its
    column's length. For text that is kept whatever it holds (addresses, names of devices)."""
    return text.replace("\x00", "")[:limit]


def unstorable(text: str) -> bool:
    """True when PostgreSQL text cannot hold this string: a NUL character or a lone surrogate."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
