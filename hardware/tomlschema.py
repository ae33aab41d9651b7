"""TOML tables as strict pydantic models, and pydantic's errors in our words.

Used for the agent's devices.toml (hardware.devices_config) and the centre file
(queue_server.config_schema): a table is a `Table` model, a key's own rule is `rule(...)`
or `problem(...)`, and `first_error` + `explain` turn a ValidationError into
"<key path>: <problem>" as an IT officer reads it (``sites[0].services[2].prefix: use 0-3
capital letters A-Z``). It lives in hardware/ because hardware imports nothing from
queue_server, while queue_server may import hardware.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

PROBLEM = "motcua"
"""pydantic error type of our own checks; its context holds the words and the sub-key."""


class Table(BaseModel):
    """A TOML table: strict types (a string "5" is not an integer), no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


@dataclass(frozen=True)
class Reword:
    """Annotated metadata: say `text` for pydantic's own errors about this value.

    deep: also for errors inside it (a list's items); only: just for these error types.
    """

    text: str
    deep: bool = False
    only: frozenset[str] = frozenset()


def problem(text: str, *at: str | int) -> PydanticCustomError:
    """An error in our words, about the sub-key `at` of the value being validated."""
    return PydanticCustomError(PROBLEM, "{problem}", {"problem": text, "at": at})


def rule(check: Callable[[Any], object], text: str) -> AfterValidator:
    """Annotated metadata: once the type is right, `check` must hold; `text` may use {value}."""

    def validate(value: Any) -> Any:
        if not check(value):
            raise problem(text.format(value=value))
        return value

    return AfterValidator(validate)


WORDS: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "unknown key (allowed: {allowed})",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be a table",
    "date_type": "must be a date (2026-01-01)",
    "literal_error": "must be one of {choices}",
    "greater_than": "must be above {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "too_short": "must not be empty",
}
"""Our words for pydantic's error types; {allowed}, {choices}, {table} and ctx fill them."""


def key_path(loc: tuple[str | int, ...]) -> str:
    """A pydantic location as a TOML key path: ('sites', 0, 'code') -> sites[0].code."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else part
    return out


def first_error(err: ValidationError) -> ErrorDetails:
    """The error to report: the first, unless a table around it has an unknown key.

    A typo is reported as itself: `servicez` is an unknown key, not missing `services`.
    """
    errors = err.errors(include_url=False)
    loc = tuple(errors[0]["loc"])
    for e in errors:
        where = tuple(e["loc"])[:-1]
        if e["type"] == "extra_forbidden" and loc[: len(where)] == where:
            return e
    return errors[0]


def explain(
    error: ErrorDetails, root: type[BaseModel], words: Mapping[str, str]
) -> tuple[str, str]:
    """The key path and our words for one error of validating `root`."""
    loc = tuple(error["loc"])
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] == PROBLEM:
        return key_path(loc + tuple(ctx["at"])), str(ctx["problem"])
    kinds: list[Any] = [root]
    for depth, (kind, meta) in enumerate(_along(root, loc), 1):
        for m in meta:
            if (
                isinstance(m, Reword)
                and (m.deep or depth == len(loc))
                and (not m.only or error["type"] in m.only)
            ):
                return key_path(loc[:depth]), m.text
        kinds.append(kind)
    parent = kinds[len(loc) - 1] if 0 < len(loc) <= len(kinds) else None
    name = ".".join(p for p in loc if isinstance(p, str))
    values = {
        **ctx,
        "allowed": ", ".join(sorted(getattr(parent, "model_fields", {}))),
        "choices": ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", "")))),
        "table": f"[[{name}]]" if loc and isinstance(loc[-1], int) else f"[{name}]",
        "array": f"[[{name}]]",
    }
    template = words.get(error["type"])
    return key_path(loc), template.format_map(values) if template else error["msg"]


def unwrap(kind: Any) -> tuple[Any, list[Any]]:
    """A type without Annotated and Optional around it, and the metadata they held."""
    meta: list[Any] = []
    while True:
        if get_origin(kind) is Annotated:
            kind, *more = get_args(kind)
            meta.extend(more)
        elif get_origin(kind) in (Union, UnionType):
            rest = [a for a in get_args(kind) if a is not type(None)]
            if len(rest) != 1:
                return kind, meta
            kind = rest[0]
        else:
            return kind, meta


def _along(root: type[BaseModel], loc: tuple[str | int, ...]) -> Iterator[tuple[Any, list[Any]]]:
    """The type and the metadata at each step of an error's location in the schema."""
    kind: Any = root
    for part in loc:
        if isinstance(part, int):
            args = get_args(kind)
            if not args:
                return
            kind, meta = unwrap(args[0])
        else:
            fields = getattr(kind, "model_fields", None)
            if not isinstance(fields, dict) or part not in fields:
                return
            field = fields[part]
            kind, meta = unwrap(field.annotation)
            meta = [*field.metadata, *meta]
        yield kind, meta
