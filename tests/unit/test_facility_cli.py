"""``refnet facility``: the manager is named on ``add`` and by ``manager`` ("" for none), and
the list shows it; the shelter service's refusal is said with its field, exit 2."""

import argparse

import pytest

from refnet.cli import facilities
from services.common.errors import InvalidInput

ROW = {"facility": "f-1", "provider": "erbil-shelter", "status": "open", "name": "House",
       "manager": None}


@pytest.fixture
def calls(monkeypatch):
    made = []

    def call(method, **kwargs):
        made.append((method, kwargs))
        if kwargs.get("manager") == "Jane Doe":
            raise InvalidInput("a user id", field="manager")
        return [dict(ROW, manager="fm.one")] if method == "list_facilities" else \
            dict(ROW, manager=kwargs.get("manager"))
    monkeypatch.setattr(facilities, "_call", call)
    return made


def _run(*argv) -> int:
    parser = argparse.ArgumentParser()
    facilities.add_commands(parser.add_subparsers())
    args = parser.parse_args(["facility", *argv])
    return args.func(args)


def test_the_manager_is_named_on_add_and_changed_or_cleared(calls, capsys):
    assert _run("add", "--id", "f-1", "--name", "House", "--provider", "erbil-shelter",
                "--manager", "fm.one") == 0
    assert _run("manager", "--id", "f-1", "--manager", "fm.two") == 0
    assert _run("manager", "--id", "f-1", "--manager", "") == 0
    assert _run("list") == 0
    assert [(m, k.get("manager")) for m, k in calls] == [
        ("register_facility", "fm.one"), ("set_facility_manager", "fm.two"),
        ("set_facility_manager", None), ("list_facilities", None)]
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].split("\t") == ["f-1", "erbil-shelter", "open", "fm.one", "House"]
    assert lines[2].split("\t")[3] == "-"  # none named


def test_a_refused_or_missing_manager_exits_2_naming_it(calls, capsys):
    assert _run("manager", "--id", "f-1") == 2
    assert "--manager" in capsys.readouterr().err
    assert _run("manager", "--id", "f-1", "--manager", "Jane Doe") == 2
    assert "manager" in capsys.readouterr().err
