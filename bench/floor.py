# Copied from the lab reference floor script (unchanged apart from this note and the
# dropped shebang: bench/bench.py runs it with the venv's python): the least work a
# MaestroNG-like tool must do with the docker SDK; bench/bench.py times our playbooks
# against it.
"""floor.py - the "floor": the least work a MaestroNG-like tool must do against
the Docker APIs to bring an environment up or down.

It reads a MaestroNG environment file (ships / services / requires / instances
with ship, ports, env, command; no Jinja), orders the services into dependency
levels, and per level creates+starts every instance in parallel threads (one
thread per container, across all ships), with one-to-one port publishing.

    floor.py ENV.yaml up       create+start what is not running, level by level
    floor.py ENV.yaml stop     stop running containers, reverse level order
    floor.py ENV.yaml clean    remove stopped containers (parallel, no ordering)
    floor.py ENV.yaml down     stop+remove each container, reverse level order
    floor.py ENV.yaml status   one line per container

Per container it makes exactly the calls needed: create + start (up), stop
(stop), remove (clean), stop + remove (down). Before acting it lists the
containers of each ship once (one call per ship, in parallel), so `up` on an
environment that is already running is a no-op costing one list per ship.
The Docker API version is pinned (default 1.41, dockerd 20.10) so no version
negotiation round trip is made. -v prints per-phase timings on stderr.

Requires the `docker` SDK (pip install docker pyyaml).
"""

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import docker
import yaml

LABEL = "lab.floor.env"  # marks containers created by this script


class Instance:
    def __init__(self, name, service, ship, cfg, senv, image, env_name):
        self.name = name
        self.service = service
        self.ship = ship
        self.image = cfg.get("image", image)
        self.command = cfg.get("command", cfg.get("cmd"))
        # One-to-one port mapping: MaestroNG's integer form (external == exposed),
        # also "N/udp" strings.
        self.ports = []
        for spec in (cfg.get("ports") or {}).values():
            port, dummy, proto = str(spec).partition("/")
            self.ports.append((int(port), proto or "tcp"))
        self.env = dict(senv or {})
        self.env.update(cfg.get("env") or {})
        self.env.update({"SERVICE_NAME": service, "CONTAINER_NAME": name, "MAESTRO_ENVIRONMENT_NAME": env_name})
        self.env = {k: str(v) for k, v in self.env.items()}


def load_env(path):
    with open(path) as f:
        conf = yaml.safe_load(f)
    ships = {
        name: "tcp://{}:{}".format(s.get("endpoint", s["ip"]), s.get("docker_port", 2375))
        for name, s in conf["ships"].items()
    }
    services = conf["services"]
    instances = {}
    for sname, s in services.items():
        for iname, cfg in s["instances"].items():
            instances[iname] = Instance(iname, sname, cfg["ship"], cfg, s.get("env"), s["image"], conf["name"])
    # Kahn layering: level 0 = services without requirements.
    levels, placed = [], set()
    remaining = {n: set(s.get("requires") or []) for n, s in services.items()}
    while remaining:
        ready = sorted(n for n, req in remaining.items() if req <= placed)
        if not ready:
            sys.exit("dependency cycle among: " + ", ".join(sorted(remaining)))
        levels.append([i for i in instances.values() if i.service in ready])
        placed.update(ready)
        for n in ready:
            del remaining[n]
    return conf["name"], ships, levels


class Floor:
    def __init__(self, env_path, api_version, timeout, verbose):
        self.env_name, ship_urls, self.levels = load_env(env_path)
        self.verbose = verbose
        self.t0 = time.monotonic()
        # Low-level APIClient: no implicit inspect after create, no version call.
        # The pool must allow one connection per concurrent thread on a ship.
        per_ship = max(sum(1 for i in lvl if i.ship == s) for lvl in self.levels for s in ship_urls)
        self.api = {
            s: docker.APIClient(base_url=u, version=api_version, timeout=timeout, max_pool_size=max(10, per_ship))
            for s, u in ship_urls.items()
        }
        self.state = {}
        self.lock = threading.Lock()

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("[floor %7.3fs] %s\n" % (time.monotonic() - self.t0, msg))

    def refresh(self):
        """One list call per ship (in parallel): name -> running?"""

        def one(ship):
            return ship, self.api[ship].containers(all=True)

        with ThreadPoolExecutor(len(self.api)) as ex:
            for ship, lst in ex.map(one, self.api):
                for c in lst:
                    for n in c.get("Names") or []:
                        self.state[(ship, n.lstrip("/"))] = (c["Id"], c["State"] == "running")
        self.log("listed %d ships" % len(self.api))

    def run_level(self, what, insts, fn, label=None):
        if not insts:
            return
        t = time.monotonic()
        errors = []
        with ThreadPoolExecutor(len(insts)) as ex:
            for inst, exc in zip(insts, ex.map(lambda i: self._safe(fn, i), insts)):
                if exc:
                    errors.append("%s: %s" % (inst.name, exc))
        self.log(
            "%s %-10s %3d containers in %.3fs" % (what, label or insts[0].service, len(insts), time.monotonic() - t)
        )
        if errors:
            sys.exit("\n".join(errors))

    @staticmethod
    def _safe(fn, inst):
        try:
            fn(inst)
            return None
        except Exception as e:  # noqa: BLE001 - report every failure of the level
            return e

    # -- per-container actions
    def _create_start(self, i):
        api = self.api[i.ship]
        st = self.state.get((i.ship, i.name))
        if st and st[1]:
            return  # already running: nothing to do
        if st:  # exists but stopped: start it again
            api.start(st[0])
            return
        hc = api.create_host_config(port_bindings={"%d/%s" % p: ("0.0.0.0", p[0]) for p in i.ports})
        c = api.create_container(
            image=i.image,
            name=i.name,
            command=i.command,
            hostname=i.name,
            environment=i.env,
            ports=[p if p[1] != "tcp" else p[0] for p in i.ports],
            labels={LABEL: self.env_name},
            host_config=hc,
            detach=True,
        )
        api.start(c["Id"])

    def _stop(self, i):
        st = self.state.get((i.ship, i.name))
        if st and st[1]:
            self.api[i.ship].stop(st[0], timeout=10)

    def _remove(self, i):
        st = self.state.get((i.ship, i.name))
        if st and not st[1]:
            self.api[i.ship].remove_container(st[0], v=True)

    def _stop_remove(self, i):
        st = self.state.get((i.ship, i.name))
        if st:
            if st[1]:
                self.api[i.ship].stop(st[0], timeout=10)
            self.api[i.ship].remove_container(st[0], v=True)

    # -- commands
    def up(self):
        self.refresh()
        for lvl in self.levels:
            self.run_level("up  ", lvl, self._create_start)

    def stop(self):
        self.refresh()
        for lvl in reversed(self.levels):
            self.run_level("stop", lvl, self._stop)

    def clean(self):
        self.refresh()
        self.run_level("rm  ", [i for lvl in self.levels for i in lvl], self._remove, "(all)")

    def down(self):
        self.refresh()
        for lvl in reversed(self.levels):
            self.run_level("down", lvl, self._stop_remove)

    def status(self):
        self.refresh()
        for lvl in self.levels:
            for i in lvl:
                st = self.state.get((i.ship, i.name))
                print(
                    "%-16s %-10s %-6s %s"
                    % (i.name, i.service, i.ship, "running" if st and st[1] else ("stopped" if st else "absent"))
                )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("env")
    ap.add_argument("command", choices=["up", "stop", "clean", "down", "status"])
    ap.add_argument("--api-version", default="1.41")
    ap.add_argument("--timeout", type=int, default=60, help="per API call, seconds")
    ap.add_argument("-v", "--verbose", action="store_true", help="per-phase timings on stderr")
    a = ap.parse_args()
    f = Floor(a.env, a.api_version, a.timeout, a.verbose)
    getattr(f, a.command)()
    f.log("done")


if __name__ == "__main__":
    main()
