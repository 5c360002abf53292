# Copied from the lab reference floor script (the shebang dropped: bench/bench.py runs it with
# the venv's python): the least work a MaestroNG-like tool must do with the docker SDK;
# bench/bench.py times our playbooks against it. Without --by-dependency / --checks it is the
# reference script unchanged; those two options were added here for bench/bench.py's
# uneven environment (services with `running` lifecycle checks).
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

    floor.py ENV.yaml up --by-dependency
                               the dependency-driven floor: one thread per container, each
                               starting as soon as every container of the services its service
                               requires (transitively) is started and has passed its `running`
                               lifecycle checks, then running its own; no levels
    floor.py ENV.yaml stop|down --by-dependency
                               each container stopped as soon as every container of the
                               services that require its service (transitively) is stopped
    floor.py ENV.yaml up --checks
                               level by level as above, but a level is done only when its
                               containers have passed their `running` checks (the level
                               floor of an environment with checks)

The `running` checks (the service's `lifecycle: {running: [...]}` plus the instance's own) are
run only by --by-dependency and --checks, and only for a container this run starts (one that
already runs counts as up at once): `sleep` (up `wait` seconds after its start call returned)
and `tcp` (a TCP connect to the ship's ip, or the check's `host`, on the named or numbered
port, every 0.1 s, up to `max_wait` seconds, default 300); several checks of a container run
one after the other, each counted from its start, so they cost about the longest one. Any other
check type fails the run (the floor does not implement it).

Per container it makes exactly the calls needed: create + start (up), stop
(stop), remove (clean), stop + remove (down). Before acting it lists the
containers of each ship once (one call per ship, in parallel), so `up` on an
environment that is already running is a no-op costing one list per ship.
The Docker API version is pinned (default 1.41, dockerd 20.10) so no version
negotiation round trip is made. -v prints per-phase timings on stderr.

Requires the `docker` SDK (pip install docker pyyaml).
"""

import argparse
import socket
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
        self.named_ports = {}  # port name -> external port (for tcp checks)
        for pname, spec in (cfg.get("ports") or {}).items():
            port, dummy, proto = str(spec).partition("/")
            self.ports.append((int(port), proto or "tcp"))
            self.named_ports[pname] = int(port)
        self.checks = []  # the `running` lifecycle checks (load_env fills them in)
        self.ship_ip = None
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
            inst = instances[iname] = Instance(iname, sname, cfg["ship"], cfg, s.get("env"), s["image"], conf["name"])
            # MaestroNG: the instance's checks of a state come after its service's.
            inst.checks = list(((s.get("lifecycle") or {}).get("running")) or [])
            inst.checks += list(((cfg.get("lifecycle") or {}).get("running")) or [])
            inst.ship_ip = conf["ships"][cfg["ship"]]["ip"]
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
    requires = {n: set(s.get("requires") or []) for n, s in services.items()}
    return conf["name"], ships, levels, requires


def closure(requires):
    """{service: every service it requires, directly or not} (no cycles: load_env checked)."""
    result = {}

    def of(name):
        if name not in result:
            result[name] = set()
            for dep in requires[name]:
                result[name] |= {dep} | of(dep)
        return result[name]

    for name in requires:
        of(name)
    return result


class Floor:
    def __init__(self, env_path, api_version, timeout, verbose, by_dependency=False, checks=False):
        self.env_name, ship_urls, self.levels, self.requires = load_env(env_path)
        self.verbose = verbose
        self.by_dependency = by_dependency
        self.checks = checks or by_dependency
        self.t0 = time.monotonic()
        # Low-level APIClient: no implicit inspect after create, no version call.
        # The pool must allow one connection per concurrent thread on a ship (by dependency:
        # any of the ship's containers may be at work at once).
        per_ship = max(sum(1 for i in lvl if i.ship == s) for lvl in self.levels for s in ship_urls)
        if by_dependency:
            per_ship = max(sum(1 for lvl in self.levels for i in lvl if i.ship == s) for s in ship_urls)
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

    def run_graph(self, what, fn, waits_for):
        """One thread per container: fn(container) as soon as every container named in
        waits_for[its name] is done (and none of them failed)."""
        insts = [i for lvl in self.levels for i in lvl]
        done = {i.name: threading.Event() for i in insts}
        failed, errors = set(), []
        t = time.monotonic()

        def one(inst):
            try:
                for name in waits_for[inst.name]:
                    done[name].wait()
                blocked = sorted(n for n in waits_for[inst.name] if n in failed)
                if blocked:
                    raise RuntimeError("not done: %s failed" % ", ".join(blocked))
                began = time.monotonic()
                fn(inst)
                self.log(
                    "%s %-16s %.3fs after the run began, took %.3fs"
                    % (what, inst.name, began - t, time.monotonic() - began)
                )
            except Exception as e:  # noqa: BLE001 - report every failure
                with self.lock:
                    failed.add(inst.name)
                    errors.append("%s: %s" % (inst.name, e))
            finally:
                done[inst.name].set()

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in insts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.log("%s %-10s %3d containers in %.3fs" % (what, "(by dep.)", len(insts), time.monotonic() - t))
        if errors:
            sys.exit("\n".join(sorted(errors)))

    def _waits_for(self, reverse=False):
        """{container: the containers it waits for}: those of the services its service requires
        (transitively), or with reverse=True those of the services requiring its service."""
        deps = closure(self.requires)
        if reverse:
            deps = {s: {d for d, of_d in deps.items() if s in of_d} for s in deps}
        insts = [i for lvl in self.levels for i in lvl]
        by_service = {}
        for i in insts:
            by_service.setdefault(i.service, []).append(i.name)
        return {i.name: [n for s in sorted(deps[i.service]) for n in by_service.get(s, [])] for i in insts}

    def _run_checks(self, i, started):
        """The container's `running` checks, counted from ``started`` (its start call's return)."""
        for check in i.checks:
            kind = check.get("type")
            if kind == "sleep":
                time.sleep(max(0.0, started + float(check.get("wait") or 0) - time.monotonic()))
            elif kind == "tcp":
                port = check.get("port")
                port = i.named_ports[port] if port in i.named_ports else int(port)
                host = check.get("host") or i.ship_ip
                deadline = started + float(check.get("max_wait", 300))
                while True:
                    try:
                        socket.create_connection((host, port), timeout=1).close()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise RuntimeError("tcp check on %s:%s failed" % (host, port)) from None
                        time.sleep(0.1)
            else:
                raise RuntimeError("the floor has no %r check" % kind)

    # -- per-container actions
    def _create_start(self, i):
        api = self.api[i.ship]
        st = self.state.get((i.ship, i.name))
        if st and st[1]:
            return  # already running: nothing to do
        if st:  # exists but stopped: start it again
            api.start(st[0])
            if self.checks:
                self._run_checks(i, time.monotonic())
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
        if self.checks:
            self._run_checks(i, time.monotonic())

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
        if self.by_dependency:
            self.run_graph("up  ", self._create_start, self._waits_for())
            return
        for lvl in self.levels:
            self.run_level("up  ", lvl, self._create_start)

    def stop(self):
        self.refresh()
        if self.by_dependency:
            self.run_graph("stop", self._stop, self._waits_for(reverse=True))
            return
        for lvl in reversed(self.levels):
            self.run_level("stop", lvl, self._stop)

    def clean(self):
        self.refresh()
        self.run_level("rm  ", [i for lvl in self.levels for i in lvl], self._remove, "(all)")

    def down(self):
        self.refresh()
        if self.by_dependency:
            self.run_graph("down", self._stop_remove, self._waits_for(reverse=True))
            return
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
    ap.add_argument(
        "--by-dependency",
        action="store_true",
        help="up/stop/down: each container as soon as its own dependencies (dependents) are done, "
        "with the running checks; no levels",
    )
    ap.add_argument("--checks", action="store_true", help="up level by level, running the running checks")
    ap.add_argument("-v", "--verbose", action="store_true", help="per-phase timings on stderr")
    a = ap.parse_args()
    f = Floor(a.env, a.api_version, a.timeout, a.verbose, a.by_dependency, a.checks)
    getattr(f, a.command)()
    f.log("done")


if __name__ == "__main__":
    main()
