"""Which App Connect interface the running connector call serves.

The pipeline enters an interface's scope around each connector call; a transport under the
connector's HTTP client reads it, so a fault rule named `createCallLog` hits the requests
any connector makes for createCallLog, against any CRM, without knowing its routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class InterfaceScope:
    interface: str
    #: One fault per interface call: set once a rule has hit one of its requests.
    faulted: bool = False


_current: ContextVar[InterfaceScope | None] = ContextVar("appconnect_interface", default=None)


@contextmanager
def interface_scope(interface: str) -> Iterator[InterfaceScope]:
    scope = InterfaceScope(interface)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def current_scope() -> InterfaceScope | None:
    return _current.get()


def scoped(interface: str, fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` run in a fresh scope of `interface` at every call (so each retry is one call)."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with interface_scope(interface):
            return fn(*args, **kwargs)

    return run
