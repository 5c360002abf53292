"""Many ships: 12 ships, 100 containers in 4 levels, started, started again (changed=0) and
stopped as a user runs the playbooks. Ships 60*S+10 .. 60*S+21 for MAESTRO_LAB_SLOT=S (CI: 10-21).

    pytest -m many_ships tests/integration        # this test alone
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.envs import IMAGE, ok, playbook, ships_of, write_env
from helpers.lab import ready, worker_index

pytestmark = pytest.mark.many_ships

SHIPS = 12
# Instances per level (two services per level): 100 containers.
LEVELS = [16, 24, 28, 32]


@pytest.fixture(scope="module")
def fleet(lab):
    """12 ships of their own (the `lab` fixture only checks that the lab can run)."""
    fleet = ready(10 + 3 * worker_index(), SHIPS)  # ships 10-21 (slot S: 60*S+10 on)
    yield fleet
    fleet.reset()


def many(fleet):
    """LEVELS over the fleet's ships, round robin, each service requiring both of the level before."""
    names = [s["name"] for s in fleet.ships]
    services, previous, port = {}, [], 20000
    for level, count in enumerate(LEVELS):
        current = ["l%d%s" % (level, letter) for letter in "ab"]
        for service in current:
            instances = {}
            for i in range(count // 2):
                port += 1
                instances["%s-%d" % (service, i)] = {
                    "ship": names[port % len(names)],
                    "ports": {"http": port},
                    "stop_timeout": 2,
                    "command": ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p %d -h / & wait" % port],
                }
            services[service] = dict(
                {"image": IMAGE, "instances": instances}, **({"requires": previous} if previous else {})
            )
        previous = current
    return {
        "__maestro": {"schema": 2},
        "name": "many",
        "ship_defaults": {"timeout": 60},
        "ships": ships_of(fleet),
        "services": services,
    }


def placed(fleet):
    """{container name: (ship name, state)} over the fleet."""

    def one(k):
        return [
            (c["Names"][0].lstrip("/"), (fleet.ships[k - 1]["name"], c["State"]))
            for c in fleet.client(k, timeout=30).containers(all=True)
        ]

    with ThreadPoolExecutor(SHIPS) as pool:
        return dict(item for found in pool.map(one, range(1, SHIPS + 1)) for item in found)


def test_twelve_ships_start_rerun_stop(fleet, tmp_path):
    model = many(fleet)
    path = write_env(tmp_path, model)
    wanted = {
        name: inst["ship"] for service in model["services"].values() for name, inst in service["instances"].items()
    }
    assert len(wanted) == 100 and len(set(wanted.values())) == SHIPS

    start = ok(playbook("start", env=path, timeout=600))
    assert start.recap["changed"] == 1, str(start)
    done = [line.split(" in ")[0] for line in start.progress()]
    assert sorted(done) == [
        "l%d%s: %d/%d started" % (level, letter, count // 2, count // 2)
        for level, count in enumerate(LEVELS)
        for letter in "ab"
    ], str(start)
    # Each service of a level requires both of the level before: none is done before them.
    assert [int(line[1]) for line in done] == sorted(int(line[1]) for line in done), str(start)
    assert placed(fleet) == {name: (ship, "running") for name, ship in wanted.items()}

    again = ok(playbook("start", env=path))
    assert again.recap["changed"] == 0, str(again)
    assert "start: 100 instances on 12 ships: 100 unchanged" in again.output, str(again)

    stop = ok(playbook("stop", env=path, timeout=600))
    assert stop.recap["changed"] == 1, str(stop)
    assert placed(fleet) == {name: (ship, "exited") for name, ship in wanted.items()}
    print(
        "12 ships, 100 containers: start %.1f s, no-op start %.1f s, stop %.1f s"
        % (start.seconds, again.seconds, stop.seconds)
    )
