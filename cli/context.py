"""The context every command gets: global options, the terminal, and the error wrapper."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import typer

from appconnect.cli.terminal import Terminal

if TYPE_CHECKING:
    from appconnect.core.config import HarnessConfig
    from appconnect.core.targets.base import Target
    from appconnect.core.targets.embedded import EmbeddedTarget

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class AppContext:
    config: Path | None = None
    home: Path | None = None
    debug: bool = False
    #: `--connector` / APPCONNECT_CONNECTOR: overrides the config's `connector.name`.
    connector: str | None = None
    #: `--target`: our core in-process, or a running App Connect server.
    target_kind: str = "embedded"
    #: `--fault RULE` (repeatable) and `--fault-rate`: added to the config's `[faults]`.
    fault_rules: list[str] = field(default_factory=list)
    fault_rate: float | None = None
    terminal: Terminal = field(default_factory=Terminal)
    #: `--trace http`: record the connector's HTTP exchanges and show them.
    trace_http: bool = False
    #: Targets opened by `target()`: their HTTP traces are shown when the command ends.
    opened: list[Target] = field(default_factory=list)
    #: `--record CASSETTE` / `--replay CASSETTE` (core/transports/cassette.py).
    record: Path | None = None
    replay: Path | None = None
    _cassette_open: bool = False

    @contextmanager
    def cassette(self, command: str = "") -> Iterator[None]:
        """The command's CRM traffic recorded or replayed, when asked for; else nothing."""
        if (self.record is None and self.replay is None) or self._cassette_open:
            yield
            return
        from appconnect.core.errors import BadInput
        from appconnect.core.transports.cassette import cassette

        if self.record is not None and self.replay is not None:
            raise BadInput("give --record or --replay, not both", "cassette")
        if command in _OTHER_PROCESSES:
            raise BadInput(f"{command} makes its requests in other processes: no cassette", command)
        mode: Literal["record", "replay"] = "record" if self.record is not None else "replay"
        path = self.record or self.replay
        assert path is not None
        self._cassette_open = True
        try:
            with cassette(mode, path, self.load_config(), target_kind=self.target_kind) as run:
                yield
            if mode == "record" and run.requests:
                self.terminal.info(f"recorded {run.requests} CRM request(s) to {path}")
            elif mode == "record":
                self.terminal.warning(f"no CRM requests: nothing recorded ({path} not written)")
        finally:
            self._cassette_open = False

    def target(self, *, sandbox: bool = False) -> Target:
        """The target the commands drive: `--target` (our core in-process, or a server)."""
        from appconnect.core.home import harness_home
        from appconnect.core.targets.factory import open_target

        config, path = self.config_and_path()
        opened = open_target(
            config,
            kind=self.target_kind,
            home=self.home or harness_home(),
            config_path=path,
            sandbox=sandbox,
        )
        self.opened.append(opened)
        return opened

    def embedded(self) -> EmbeddedTarget:
        """Our core in-process, whatever `--target` says (serve, fixture-crm)."""
        from appconnect.core.home import harness_home
        from appconnect.core.targets.embedded import EmbeddedTarget

        config, path = self.config_and_path()
        return EmbeddedTarget(config, self.home or harness_home(), config_path=path)

    def config_dir(self) -> Path | None:
        """The folder of the config file (relative paths in it are read from there)."""
        from appconnect.core.config import find_config_file

        path = find_config_file(self.config)
        return path.parent if path else None

    def load_config(self) -> HarnessConfig:
        """The config file's settings with `--connector` applied (warnings shown)."""
        return self.config_and_path()[0]

    def config_and_path(self) -> tuple[HarnessConfig, Path | None]:
        from appconnect.core.config import load_config
        from appconnect.core.config_secrets import config_warnings

        config, path = load_config(self.config)
        if path is not None:
            for message in config_warnings(path, config):
                self.terminal.warning(message)
        if self.fault_rules or self.fault_rate is not None:
            faults = config.faults.model_copy(
                update={
                    "rules": [*config.faults.rules, *self.fault_rules],
                    "rate": config.faults.rate if self.fault_rate is None else self.fault_rate,
                }
            )
            config = config.model_copy(update={"faults": faults})
        if self.trace_http:
            config = config.model_copy(
                update={"trace": config.trace.model_copy(update={"http": True})}
            )
        return self.with_connector(config), path

    def with_connector(self, config: HarnessConfig) -> HarnessConfig:
        if not self.connector:
            return config
        connector = config.connector.model_copy(update={"name": self.connector})
        return config.model_copy(update={"connector": connector})


#: Commands whose CRM requests are made by worker processes a cassette cannot follow.
_OTHER_PROCESSES = frozenset({"serve", "bench"})


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # a command invoked without the root callback
        obj = ctx.find_root().obj = AppContext()
    return obj


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn harness errors into one `Error: ...` line and their exit code (tracebacks: --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from appconnect.core.errors import HarnessError

        app = _find_app(args, kwargs)
        try:
            with app.cassette(fn.__name__):
                return fn(*args, **kwargs)
        except HarnessError as exc:
            if app.debug:
                raise
            raise app.terminal.abort(str(exc), exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # the one place unexpected errors are caught: no traceback
            if app.debug:
                raise
            message = f"unexpected {type(exc).__name__}: {exc} (re-run with --debug for details)"
            raise app.terminal.abort(message, 1) from None
        finally:
            if app.opened and app.trace_http:  # also after a failure: that is when it helps
                from appconnect.cli.observe import show_opened_traces

                show_opened_traces(app.terminal, app.opened)

    return wrapper


def _find_app(args: Any, kwargs: Any) -> AppContext:
    # Typer hands commands its (vendored) click Context, not always a `typer.Context`.
    for value in (*args, *kwargs.values()):
        if callable(getattr(value, "find_root", None)):
            return app_context(value)
    return AppContext()
