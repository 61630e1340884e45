"""Write the gateway's API reference: ``docs/api/openapi.json`` and the route tables of ``docs/api/README.md``; and
the bus commands' reference, ``docs/commands.md``, from their models (``shared/commands``).

The FastAPI app is built exactly as the gateway builds it, but never started: no Redis, database or worker is
touched, only ``app.openapi()`` is asked. Run it after changing a route; ``tests/unit/gateway/test_api_docs.py``
fails while the committed files differ from what the code generates. It also regenerates the UI's API types
(``frontend/src/types/openapi.gen.ts``, checked by a Vitest test) when node and the frontend's packages are there.

    .venv/bin/python scripts/gen_api_docs.py           # rewrite the files
    .venv/bin/python scripts/gen_api_docs.py --check   # exit 1 when they are out of date
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.gateway.app import create_app  # noqa: E402
from shared.commands import ALL_COMMANDS, Command  # noqa: E402
from shared.config import Settings  # noqa: E402

__all__ = ["COMMANDS_PATH", "JSON_PATH", "MARKDOWN_PATH", "openapi_schema", "render", "stale", "write"]

JSON_PATH = "docs/api/openapi.json"
MARKDOWN_PATH = "docs/api/README.md"
COMMANDS_PATH = "docs/commands.md"
# Routes outside the token guard (shared/websec.py protects /api and /ws): /health, and the OBS overlay's page,
# which takes a read-only overlay key instead (services/gateway/api/routes/overlay.py).
PUBLIC_PATHS = frozenset({"/health", "/overlay/{kind}"})
METHODS = ("get", "post", "put", "patch", "delete")


def openapi_schema() -> dict[str, Any]:
    """The gateway's OpenAPI schema. The settings are defaults only (no environment, no settings file) plus the two
    values ``create_app`` insists on; neither is used before the app starts."""
    settings = Settings.model_construct(
        home=ROOT / ".api-docs-unused",
        redis_url="redis://127.0.0.1:9/0",
        token="placeholder",  # noqa: S106 - never checked: the app is not started
    )
    return create_app(settings).openapi()


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: dict[str, Any]) -> str:
    """A short, readable type for a JSON schema: ``string``, ``integer | null``, ``array of AudioConfig``…"""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if "enum" in schema:
        return " \\| ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " \\| ".join(_type(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    return str(kind)


def _constraints(schema: dict[str, Any]) -> str:
    limits = {
        "minLength": "min length",
        "maxLength": "max length",
        "minimum": "≥",
        "exclusiveMinimum": ">",
        "maximum": "≤",
        "exclusiveMaximum": "<",
    }
    parts = [f"{label} {_value(schema[key])}" for key, label in limits.items() if key in schema]
    for sub in schema.get("anyOf", []):
        parts += [f"{label} {_value(sub[key])}" for key, label in limits.items() if key in sub]
    return ", ".join(parts)


def _value(value: Any) -> str:
    """A schema value as JSON text; whole floats (``10.0`` from ``ge=10``) without their fraction."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, ensure_ascii=False)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") if text else ""


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            if method in item:
                ops.append((path, method, item[method]))
    return ops


def _body_ref(op: dict[str, Any]) -> str:
    content = op.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    return _type(body) if body else ""


def _params(op: dict[str, Any]) -> str:
    shown = []
    for param in op.get("parameters", []):
        if param.get("in") != "query":
            continue
        text = f"`{param['name']}`"
        if not param.get("required"):
            param_schema = param.get("schema", {})
            text += f" (default {_value(param_schema['default'])})" if "default" in param_schema else " (optional)"
        shown.append(text)
    return ", ".join(shown)


def _body_schemas(schema: dict[str, Any]) -> list[str]:
    """Names of the component schemas that request bodies use, nested ones included, in a stable order."""
    components = schema.get("components", {}).get("schemas", {})
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = _ref_name(ref)
                if name not in found and name in components:
                    found.append(name)
                    visit(components[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for _path, _method, op in _operations(schema):
        visit(op.get("requestBody", {}))
    return sorted(found)


def render_markdown(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    lines = [
        "# Gateway API reference",
        "",
        "<!-- Generated by scripts/gen_api_docs.py from the gateway's OpenAPI schema. Do not edit by hand. -->",
        "",
        f"{info.get('title', 'Gateway')} {info.get('version', '')}, on 127.0.0.1:9019 by default. The full schema is",
        "[openapi.json](openapi.json). Token, local-only guard, error shape and the `/ws` live-event stream (a",
        "WebSocket, so not part of the schema) are described in [docs/contracts.md](../contracts.md), Gateway API;",
        "the event JSON in its Live events section.",
        "",
        "Besides the routes below, any other `/api/streamcap/<path>` is passed through to the StreamCap of the",
        "gateway's machine, its own `/api/<path>` (not listed here; 503 on a machine without StreamCap).",
        "",
        "## Routes",
        "",
        "| method | path | tag | summary | token | query | body |",
        "|---|---|---|---|---|---|---|",
    ]
    for path, method, op in _operations(schema):
        token = "no" if path in PUBLIC_PATHS else "yes"
        tag = ", ".join(op.get("tags", []))
        body = _body_ref(op)
        lines.append(
            f"| {method.upper()} | `{path}` | {tag} | {_cell(op.get('summary', ''))} | {token} | {_params(op)} "
            f"| {f'[{body}](#{body.lower()})' if body else ''} |"
        )
    components = schema.get("components", {}).get("schemas", {})
    names = _body_schemas(schema)
    if names:
        lines += ["", "## Request bodies"]
    for name in names:
        component = components[name]
        required = set(component.get("required", []))
        lines += ["", f"### {name}", ""]
        if component.get("description"):
            lines += [_cell(component["description"]), ""]
        lines += ["| field | type | required | default | notes |", "|---|---|---|---|---|"]
        for field, prop in component.get("properties", {}).items():
            default = _value(prop["default"]) if "default" in prop else ""
            notes = "; ".join(x for x in (prop.get("description", ""), _constraints(prop)) if x)
            lines.append(
                f"| `{field}` | {_type(prop)} | {'yes' if field in required else 'no'} | {_cell(default)} "
                f"| {_cell(notes)} |"
            )
        if component.get("additionalProperties") is True:
            lines += ["", "Other fields are accepted and passed on."]
    return "\n".join(lines) + "\n"


COMMANDS_INTRO = """\
# Bus commands

<!-- Generated by scripts/gen_api_docs.py from the command models in shared/commands. Do not edit by hand. -->

The gateway asks the workers over Redis (shared/bus.py): a request `{"id", "command", "params", "deadline",
"from"}` is pushed onto the list `timao:cmd:<service>`; the worker pushes its reply onto `timao:reply:<id>`:
`{"status": "ok", "result": {...}}` or `{"status": "error", "code", "reason", "details"?}`. Each command below has a
params model and a result model in `shared/commands/`, used by the worker that serves it (`Command.serve`) and by
the gateway that sends it (`Command.call`). Params and results travel as the JSON objects listed here, with only the
fields the sender gave.

{codes}

A model marked (open) promises its fields and may carry more (a status record the worker owns). StreamCap takes
its commands over the bus like every worker; file bytes come from this machine's StreamCap: its own HTTP API keeps
its UI's routes (rooms, settings), and the gateway passes them through (docs/contracts.md).
"""


ERROR_CODES = (
    ("`bad_command`", "the params do not fit the model (a missing, extra or wrong-typed field), found by the sender or"
     " by the worker before its handler runs; `details` is pydantic's field list", "422, field list in `errors`"),
    ("`unknown_command`", "the worker serves no command of that name", "502"),
    ("`bad_result`", "the worker answered a shape the result model refuses (logged by the gateway)",
     "502, field list in `errors`"),
    ("`invalid`, `not_found`, `conflict`, `unavailable`", "the worker's handler refused the command",
     "422, 404, 409, 503"),
    ("`storage_full`", "StreamCap: the recording disk is below its free-space minimum", "507"),
    ("`failed`, any other", "the handler failed", "502"),
)  # fmt: skip


def _fields_table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    if not props:
        return [
            "fields of the worker's own (a JSON object)"
            if schema.get("additionalProperties") is True
            else "no fields: `{}`"
        ]
    lines = ["| field | type | required | default | notes |", "|---|---|---|---|---|"]
    for field, prop in props.items():
        default = _value(prop["default"]) if "default" in prop else ""
        notes = "; ".join(x for x in (prop.get("description", ""), _constraints(prop)) if x)
        need = "yes" if field in required else "no"
        lines.append(f"| `{field}` | {_type(prop)} | {need} | {_cell(default)} | {_cell(notes)} |")
    return lines


def _model_heading(title: str, schema: dict[str, Any]) -> str:
    is_open = schema.get("additionalProperties") is True
    return f"{title} `{schema.get('title', '')}`" + (" (open)" if is_open else "")


def render_commands(commands: tuple[Command[Any, Any], ...] = ALL_COMMANDS) -> str:
    codes = [
        "| error code | from | gateway answer |",
        "|---|---|---|",
        *(f"| {c} | {w} | {a} |" for c, w, a in ERROR_CODES),
    ]
    lines = [
        COMMANDS_INTRO.replace("{codes}", "\n".join(codes)),
        "## Commands",
        "",
        "| service | command | params | result | what |",
        "|---|---|---|---|---|",
    ]
    for cmd in commands:
        service = f"`{cmd.service}`" if cmd.service else "every worker"
        link = f"[`{cmd.name}`](#{cmd.name.replace('.', '')})"
        lines.append(f"| {service} | {link} | {cmd.params.__name__} | {cmd.result.__name__} | {_cell(cmd.summary)} |")
    nested: dict[str, dict[str, Any]] = {}
    for cmd in commands:
        lines += ["", f"### {cmd.name}", "", f"{_cell(cmd.summary)} (service: {cmd.service or 'every worker'})."]
        for title, model in (("Params", cmd.params), ("Result", cmd.result)):
            schema = model.model_json_schema(by_alias=True)
            nested.update(schema.get("$defs", {}))
            lines += ["", _model_heading(title, schema) + ":", "", *_fields_table(schema)]
    if nested:
        lines += ["", "## Nested models"]
    for name in sorted(nested):
        schema = nested[name]
        lines += ["", f"### {name}" + (" (open)" if schema.get("additionalProperties") is True else ""), ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        lines += _fields_table(schema)
    return "\n".join(lines) + "\n"


def render() -> dict[str, str]:
    """Relative path → the file's content as the current code generates it."""
    schema = openapi_schema()
    return {
        JSON_PATH: json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        MARKDOWN_PATH: render_markdown(schema),
        COMMANDS_PATH: render_commands(),
    }


def stale(root: Path = ROOT) -> list[str]:
    """Relative paths of the committed files that differ from what the code generates."""
    return [rel for rel, text in render().items() if _read(root / rel) != text]


def write(root: Path = ROOT) -> list[str]:
    """Rewrite the files that changed; returns their relative paths."""
    changed = []
    for rel, text in render().items():
        path = root / rel
        if _read(path) != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(rel)
    return changed


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def main(argv: list[str]) -> int:
    if "--check" in argv:
        out_of_date = stale()
        for rel in out_of_date:
            print(f"out of date: {rel} (run .venv/bin/python scripts/gen_api_docs.py)")
        return 1 if out_of_date else 0
    for rel in write():
        print(f"wrote {rel}")
    return _ui_types()


def _ui_types() -> int:
    """The UI's generated API types follow the schema (frontend/scripts/gen-api-types.mjs), once npm installed them."""
    script = ROOT / "frontend" / "scripts" / "gen-api-types.mjs"
    node = shutil.which("node")
    if node is None or not (ROOT / "frontend" / "node_modules" / "openapi-typescript").is_dir():
        print("frontend/src/types/openapi.gen.ts not regenerated (no node or no npm install): run `npm run gen:api`")
        return 0
    if subprocess.run([node, str(script)], cwd=ROOT / "frontend", check=False).returncode != 0:
        return 1
    print("wrote frontend/src/types/openapi.gen.ts (if it changed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
