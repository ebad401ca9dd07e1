"""Render docs/configuration.md from the typed config, so the reference cannot drift from the code.

Regenerate with `python -m pipelines.config_doc > docs/configuration.md`; a test compares them. Every
field's type, default and description come from `pipelines/config.py`, the one place stratify.yaml is parsed.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from pipelines.config import StratifyConfig

INTRO = """# Configuration reference

Generated from `pipelines/config.py` by `python -m pipelines.config_doc`; do not edit by hand.

Stratify reads one YAML file: `$STRATIFY_CONFIG`, by default `stratify.yaml` at the repository root, which
is the documented demo configuration. Every key below is checked when the file is loaded: an unknown key, a
wrong type or an inconsistent value (for example RFM rules that leave a cell of the grid uncovered) fails
with the key's path before anything runs. Keys with a default may be left out.

Environment variables are not configuration but secrets and places: `STRATIFY_HOME` (data folder, default
`./data`), `STRATIFY_CONFIG`, `STRATIFY_PII_SALT` (required when a source holds PII),
`STRATIFY_ALERT_WEBHOOK` (drift alerts) and `DAGSTER_HOME` (default `$STRATIFY_HOME/dagster`).
"""


def _model_in(annotation) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds (directly, as dict values or as list items) and the path suffix for it."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        inner, suffix = _model_in(args[1])
        return inner, ".<name>" + suffix
    if origin in (list, tuple) and args:
        inner, suffix = _model_in(args[0])
        return inner, "[]" + suffix
    return None, ""


def _type_name(annotation) -> str:
    text = getattr(annotation, "__name__", None) if not typing.get_args(annotation) else None
    return text or str(annotation).replace("typing.", "").replace("pipelines.config.", "")


def _default(field: FieldInfo) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        value = field.default_factory()
    else:
        return "required"
    if isinstance(value, BaseModel):
        return "(section)"
    return "`" + json.dumps(value, default=str) + "`"


def _sections(model: type[BaseModel], path: str) -> Iterator[tuple[str, type[BaseModel]]]:
    yield path, model
    for name, field in model.model_fields.items():
        inner, suffix = _model_in(field.annotation)
        if inner is not None:
            yield from _sections(inner, f"{path}.{name}{suffix}" if path else f"{name}{suffix}")


def _table(model: type[BaseModel], path: str) -> list[str]:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        inner, suffix = _model_in(field.annotation)
        section = f"{path}.{name}{suffix}" if path else f"{name}{suffix}"
        about = field.description or (f"See section `{section}`." if inner else "")
        about = about.replace("|", "\\|").replace("\n", " ")
        kind = _type_name(field.annotation).replace("|", "\\|")
        default = _default(field).replace("|", "\\|")
        rows.append(f"| `{name}` | `{kind}` | {default} | {about} |")
    return rows


def render() -> str:
    """The whole reference as Markdown: one table per section, in the order of the model."""
    out = [INTRO]
    for path, model in _sections(StratifyConfig, ""):
        doc = " ".join((model.__doc__ or "").split())
        out += [f"## `{path or '(top level)'}`", "", *([doc, ""] if doc else []), *_table(model, path), ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
