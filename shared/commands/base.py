"""A bus command as a typed contract: its name, the service that serves it, a params model and a result model.

The same ``Command`` object is used on both sides of the bus (docs/commands.md):

- the sender (the gateway) builds the params model and awaits ``command.call(bus, params)``, which answers the
  result model; a worker answering a shape the model refuses is a ``bad_result`` error (logged), never a dict that
  breaks a route further on;
- the worker binds its handler with ``command.serve(handler)``: the handler gets the validated params model and
  returns the result model. A malformed command (a missing, extra or wrong-typed field) is refused before the
  handler runs with a ``bad_command`` error carrying pydantic's field list; a command the worker does not serve is an
  ``unknown_command`` error (``shared/worker.py``).

On the wire nothing changes: params and results travel as the same JSON objects as before (``Bus.call``), dumped by
alias and without the fields nobody set, so a worker sees exactly the keys the sender gave.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import CommandError

if TYPE_CHECKING:
    from shared.bus import Bus

__all__ = [
    "BAD_COMMAND",
    "BAD_RESULT",
    "UNKNOWN_COMMAND",
    "Command",
    "CommandTable",
    "Empty",
    "OpenResult",
    "Params",
    "Result",
    "Served",
    "command_table",
    "wire",
]

log = logging.getLogger(__name__)

# Error codes of the command layer itself (a worker's own codes are invalid, not_found, conflict, ...).
BAD_COMMAND = "bad_command"  # the params are missing a field, have an extra one, or a wrong-typed one
UNKNOWN_COMMAND = "unknown_command"  # the worker serves no command of that name
BAD_RESULT = "bad_result"  # the worker answered a shape the result model refuses

DEFAULT_TIMEOUT_S = 10.0


class Params(BaseModel):
    """A command's parameters: every field declared, nothing else accepted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Result(BaseModel):
    """A command's answer, fully declared."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OpenResult(BaseModel):
    """A record the worker owns (a room's or a job's status): the fields below are promised, more may come."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Empty(Params):
    """No parameters (or, as a result, an empty answer ``{}``)."""


P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


def _dump(model: BaseModel) -> dict[str, Any]:
    # The JSON the bus carried before the models existed: wire names (aliases), only the fields that were given.
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _details(exc: ValidationError) -> list[dict[str, Any]]:
    # Imported here: shared.websec brings FastAPI, which the workers do not load otherwise (their start stays light).
    from shared.websec import trim_validation_errors

    return trim_validation_errors(exc.errors())


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '(params)'}: {e['msg']}" for e in exc.errors())


@dataclass(frozen=True, slots=True)
class Command(Generic[P, R]):
    """One bus command. ``service`` is None for the commands every worker serves (``ping``, ``status``)."""

    name: str
    params: type[P]
    result: type[R]
    service: str | None = None
    summary: str = ""

    # -- the sender's side -----------------------------------------------------------------------------

    def params_of(self, **fields: Any) -> P:
        """The params model from loose values (e.g. a request body's dict); bad values raise the ``bad_command``
        error the worker would answer, before anything is sent."""
        return self.parse_params(fields)

    async def call(
        self,
        bus: Bus,
        params: P | None = None,
        *,
        service: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        worker_id: str = "",
    ) -> R:
        """Send the command (to any of the service's workers, or the one named) and wait for its typed answer.
        Raises CommandTimeout, BusError, or CommandError (the worker's own error, ``bad_command``/``unknown_command``
        from its dispatcher, ``bad_result`` for an answer the result model refuses)."""
        target = service or self.service
        if target is None:
            raise ValueError(f"command {self.name!r} is served by every worker: say which one (service=...)")
        sent = params if params is not None else self.params()
        if not isinstance(sent, self.params):
            raise TypeError(f"command {self.name!r} takes {self.params.__name__}, not {type(sent).__name__}")
        try:
            raw = await bus.call(target, self.name, _dump(sent), timeout=timeout, worker_id=worker_id)
        except CommandError as exc:
            if exc.code in (BAD_COMMAND, UNKNOWN_COMMAND):
                # The sender built the params with this very model: the worker runs other code (an old process?).
                log.error("%s refused %s (%s): %s", target, self.name, exc.code, exc.message)
            raise
        try:
            return self.result.model_validate(raw)
        except ValidationError as exc:
            log.error("%s answered %s with a wrong shape: %s", target, self.name, _problems(exc))
            raise CommandError(
                BAD_RESULT,
                f"服务应答格式错误 ({target} answered {self.name} with a wrong shape): {_problems(exc)}",
                details=_details(exc),
            ) from None

    # -- the worker's side -----------------------------------------------------------------------------

    def parse_params(self, raw: Any) -> P:
        """Validate what came over the bus; a malformed command is a ``bad_command`` error with the field list."""
        try:
            return self.params.model_validate(raw if raw is not None else {})
        except ValidationError as exc:
            raise CommandError(
                BAD_COMMAND,
                f"命令参数无效 (bad command {self.name}): {_problems(exc)}",
                details=_details(exc),
            ) from None

    def serve(self, handler: Callable[[P], Awaitable[R]]) -> Served:
        """Bind the worker's handler: it runs only with valid params, and its result goes out as the wire JSON."""
        return Served(self, handler)

    def dump_result(self, result: BaseModel) -> dict[str, Any]:
        if not isinstance(result, self.result):
            raise TypeError(f"{self.name} must answer {self.result.__name__}, not {type(result).__name__}")
        return _dump(result)


@dataclass(frozen=True, slots=True)
class Served:
    """A command bound to the handler that serves it: called with the request's params (JSON), answers JSON."""

    command: Command[Any, Any]
    handler: Callable[[Any], Awaitable[BaseModel]]

    async def __call__(self, raw: Any) -> dict[str, Any]:
        params = self.command.parse_params(raw)
        return self.command.dump_result(await self.handler(params))


CommandTable = dict[str, Served]


def command_table(*served: Served) -> CommandTable:
    """A worker's commands by name (``WorkerApp.commands``); one handler per name."""
    table: CommandTable = {}
    for item in served:
        if item.command.name in table:
            raise ValueError(f"command {item.command.name!r} served twice")
        table[item.command.name] = item
    return table


def wire(model: BaseModel) -> dict[str, Any]:
    """A params or result model as the JSON the bus carries (for callers that pass it on)."""
    return _dump(model)
