"""A `net: host` service with ports, as MaestroNG files often have one, on the lab.

MaestroNG 0.8.3 creates it (the ports are there for the variables and the lifecycle
checks); docker SDK 7 refuses port bindings with the host network before any request, so
this collection publishes nothing there and still gives every dependent the variables.

    edge   edge-1@ship1, net: host, serves on the ship's own port 18081 (declared `http: 18081`)
    client client-1@ship2 (bridge), requires edge: reaches it through EDGE_EDGE_1_HOST/_HTTP_PORT
"""

import functools
import urllib.request

from helpers.envs import IMAGE, env_map, exec_in, expected_env, inspect_all, playbook, ship_name, ships_of, write_env
from helpers.envs import ok as _ok

ok = functools.partial(_ok, warnings=False)

EDGE_PORT = 18081
# The host network is the ship's: the container listens on the ship's address itself.
EDGE = "trap 'exit 0' TERM; mkdir -p /www && echo $CONTAINER_NAME > /www/name; httpd -f -p $PORT -h /www & wait"
CLIENT = "trap 'exit 0' TERM; sleep 3600 & wait"
FETCH = "wget -q -O - http://$EDGE_EDGE_1_HOST:$EDGE_EDGE_1_HTTP_PORT/name"


def host_network_env(lab):
    return {
        "__maestro": {"schema": 2},
        "name": "hostnet",
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {
            "edge": {
                "image": IMAGE,
                "env": {"PORT": EDGE_PORT},
                "ports": {"http": EDGE_PORT},
                "lifecycle": {"running": [{"type": "tcp", "port": "http", "max_wait": 15}]},
                "instances": {
                    "edge-1": {
                        "ship": ship_name(lab, 1),
                        "net": "host",
                        "stop_timeout": 2,
                        "command": ["sh", "-c", EDGE],
                    }
                },
            },
            "client": {
                "image": IMAGE,
                "requires": ["edge"],
                "instances": {
                    "client-1": {"ship": ship_name(lab, 2), "stop_timeout": 2, "command": ["sh", "-c", CLIENT]}
                },
            },
        },
    }


def test_host_network_service_with_ports_starts_and_its_dependents_reach_it(clean_lab, tmp_path):
    lab = clean_lab
    env_file = write_env(tmp_path, host_network_env(lab))
    run = ok(playbook("start", env_file))
    assert run.recap["changed"] == 1 and run.recap["failed"] == 0, str(run)

    found = inspect_all(lab)
    edge, client = found["edge-1"], found["client-1"]
    assert edge["State"]["Running"] and client["State"]["Running"]
    assert edge["HostConfig"]["NetworkMode"] == "host"
    assert not edge["HostConfig"]["PortBindings"]  # nothing published ...
    assert "%d/tcp" % EDGE_PORT in edge["Config"]["ExposedPorts"]  # ... but still exposed
    # The dependent's variables, through the Docker API: exactly the model's, the port included.
    expected = expected_env(env_file)
    assert env_map(client) == expected["client-1"]
    assert (expected["client-1"]["EDGE_EDGE_1_HOST"], expected["client-1"]["EDGE_EDGE_1_HTTP_PORT"]) == (
        lab.ships[0]["ip"],
        str(EDGE_PORT),
    )
    assert env_map(edge) == expected["edge-1"]

    # The service answers on the ship's own address, from here and from the dependent by its variables.
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the lab is local: never through a proxy
    with direct.open("http://%s:%d/name" % (lab.ships[0]["ip"], EDGE_PORT), timeout=5) as answer:
        assert answer.read() == b"edge-1\n"
    code, output = exec_in(lab, 2, "client-1", ["sh", "-c", FETCH])
    assert (code, output) == (0, "edge-1\n")

    # No false drift: a second start touches nothing.
    run = ok(playbook("start", env_file))
    assert run.recap["changed"] == 0, str(run)
    again = inspect_all(lab)
    assert {n: again[n]["Id"] for n in ("edge-1", "client-1")} == {n: found[n]["Id"] for n in ("edge-1", "client-1")}
    rows = ok(playbook("status", env_file)).result("Ask every ship")["instances"]
    assert {row["instance"]: row["drift"] for row in rows} == {"edge-1": [], "client-1": []}
