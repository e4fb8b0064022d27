"""The Pipedrive-style Python connector (OAuth, text/html) against the Pipedrive mock."""

from __future__ import annotations

from .conftest import Run, Served, failed, pipedrive_config, rows, smoke


def test_smoke_is_green_twice_against_the_same_crm(run: Run, pipedrive: Served) -> None:
    pipedrive_config(pipedrive)
    first = smoke(run)
    assert failed(first) == {}, first
    second = smoke(run)
    assert failed(second) == {}, second
    assert first["exitCode"] == second["exitCode"] == 0
    print(rows(first))
