"""How many Docker API calls a command makes, on real daemons: one container listing per ship
and level instead of an inspect per container before acting, one image inspect per ship and
image per run. Each step also checks the containers' states, so fewer calls cannot mean
less done.
"""

import collections
import threading
import time
import types

import pytest
from docker import APIClient
from helpers.envs import IMAGE, SERVE, inspect_all, ship_name, ships_of, write_env

from ansible_collections.maestro.ng.plugins.module_utils.model import environment
from ansible_collections.maestro.ng.plugins.module_utils.run import orchestrate  # noqa: E402
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator  # noqa: E402

COUNTED = (
    "containers",
    "inspect_container",
    "inspect_image",
    "create_container",
    "start",
    "stop",
    "remove_container",
    # what the preflight may ask a ship (run/preflight.py)
    "info",
    "networks",
    "version",
)


@pytest.fixture
def calls(monkeypatch):
    """Counter of the APIClient calls in COUNTED, from every thread."""
    counter, lock = collections.Counter(), threading.Lock()
    for name in COUNTED:
        original = getattr(APIClient, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            with lock:
                counter[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(APIClient, name, counted)
    return counter


def two_levels(lab):
    """db (db-1 on ship 1, db-2 on ship 2) <- web (web-1 on ship 1, web-2 on ship 2), one image."""

    def instances(prefix, port):
        return {
            "%s-%d" % (prefix, k): {
                "ship": ship_name(lab, k),
                "stop_timeout": 1,
                "command": ["sh", "-c", SERVE],
                "ports": {"http": port + k},
            }
            for k in (1, 2)
        }

    return {
        "name": "calls",
        "ships": ships_of(lab),
        "services": {
            "db": {"image": IMAGE, "env": {"PORT": 8080}, "instances": instances("db", 21000)},
            "web": {"image": IMAGE, "env": {"PORT": 8080}, "requires": ["db"], "instances": instances("web", 21100)},
        },
    }


def run(env, command, calls):
    calls.clear()
    summary = Orchestrator(env).run(command, list(env.instances))
    assert not summary["failed"], summary
    return dict(calls)


def states(lab):
    return {name: c["State"]["Status"] for name, c in inspect_all(lab).items()}


def test_a_command_lists_each_ship_once_and_inspects_each_image_once(clean_lab, tmp_path, calls, monkeypatch):
    env = environment.load(str(write_env(tmp_path, two_levels(clean_lab))))
    names = sorted(env.instances)
    # No start_grace: the orchestrator never sleeps.
    sleeps = []
    monkeypatch.setattr(orchestrate, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=sleeps.append))

    # Cold start: one listing per ship serves every service that begins within a second of it
    # (orchestrate.LISTING_FRESH), no inspect before a create (the listing says there is no
    # container), one image inspect per ship, and the one inspect per container that checks it runs.
    cold = run(env, "started", calls)
    assert states(clean_lab) == dict.fromkeys(names, "running")
    assert cold == {"containers": 2, "inspect_image": 2, "create_container": 4, "start": 4, "inspect_container": 4}, (
        cold
    )

    # No-op: the listing's digest label shows each container was made from these settings and
    # the image is the one the ship has: no inspect per container.
    noop = run(env, "started", calls)
    assert noop == {"containers": 2, "inspect_image": 2}, noop

    # Stop and clean act on what the listing says: no inspect at all.
    stop = run(env, "stopped", calls)
    assert states(clean_lab) == dict.fromkeys(names, "exited")
    assert stop == {"containers": 2, "stop": 4}, stop
    assert run(env, "stopped", calls) == {"containers": 2}

    clean = run(env, "cleaned", calls)
    assert states(clean_lab) == {}
    assert clean == {"containers": 2, "remove_container": 4}, clean

    # A service that begins more than a second after the listing lists its ships again: the first
    # listing, then db's and web's, of both ships each.
    monkeypatch.setattr(orchestrate, "LISTING_FRESH", -1)
    assert run(env, "started", calls)["containers"] == 6
    assert sleeps == []


def test_the_preflight_asks_each_ship_once_and_only_what_the_settings_need(clean_lab, tmp_path, calls):
    model = two_levels(clean_lab)
    for instance in model["services"]["web"]["instances"].values():
        instance.update(log_driver="json-file", cap_add=["NET_ADMIN"])
    model["services"]["db"]["instances"]["db-2"]["net"] = "bridge"  # a mode, not a network's name
    model["services"]["db"]["instances"]["db-2"].pop("ports")
    env = environment.load(str(write_env(tmp_path, model)))
    cold = run(env, "started", calls)
    # One round per ship before any change: its log drivers (web-1 and web-2 ask them of their
    # ships once each); nothing of networks or versions, which no setting needs.
    assert cold["info"] == 2 and "networks" not in cold and "version" not in cold, cold
    assert cold["inspect_image"] == 2 and cold["containers"] == 2, cold
    noop = run(env, "started", calls)
    assert noop == {"containers": 2, "inspect_image": 2, "info": 2}, noop
    # Commands that create nothing ask nothing.
    assert run(env, "stopped", calls) == {"containers": 2, "stop": 4}
