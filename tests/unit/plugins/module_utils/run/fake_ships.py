"""Fake ships for the run layer's tests: a Docker client per ship and a container manager that
record what they were asked (no Docker)."""

import threading

import docker.errors

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError

IMAGE_ID = "sha256:" + "a" * 64


class Ships:
    """The fake ships: a client per ship, the ships that are down, the instances that fail,
    and the journal of every converge; their container listings, the images they lack, the
    pulls that fail, and what each manager was given and asked."""

    def __init__(
        self,
        down=(),
        failing=(),
        barrier=None,
        listing=None,
        reasons=None,
        missing=(),
        pull_errors=None,
        gates=None,
        then=None,
        facts=None,
    ):
        self.down = set(down)
        self.failing = set(failing)
        self.barrier = barrier  # {instance: threading.Barrier}: those must converge together (for real)
        self.listing = listing or {}  # ship -> its container listing entries
        self.reasons = reasons or {}  # instance -> why its container drifted (what a converge reports)
        self.missing = set(missing)  # images no ship has until it pulls them
        self.pull_errors = pull_errors or {}  # image -> what pulling it raises
        self.gates = gates or {}  # instance -> threading.Event its converge waits for (5 s at most)
        self.then = then or {}  # instance -> called once its converge is done
        # ship -> what it answers the preflight: {"log_drivers": [...], "networks": [...], "api": "1.41"}
        self.facts = facts or {}
        self.asked = []  # (ship, call) of each preflight question
        self.on_ship = {}  # ship -> its real converges running now
        self.most_on_ship = {}  # ship -> the most of its real converges that ran at once
        self.done = []  # the instances whose real converge is done, in order
        self.connects = []
        self.journal = []  # (instance, state, check_mode, running at the time)
        self.converges = []  # (instance, state, check_mode, refresh)
        self.options = []  # (instance, the manager's keyword arguments, check_mode included)
        self.listings = []  # the ship of each container listing
        self.pulls = []  # (ship, image) of each pull
        self.pulled = set()
        self.finished = []  # the instances whose rollout finished them (previous container removed)
        self.reverted = []  # (instance, why) of each revert
        self.running = 0
        self.most_at_once = 0
        self.running_of = {}  # service -> its real converges running now
        self.most_of = {}  # service -> the most of its real converges that ran at once
        self.lock = threading.Lock()

    def connect(self, ship):
        self.connects.append(ship["name"])
        if ship["name"] in self.down:
            raise ShipUnreachable(ship["name"], ship["docker_url"], "[Errno 113] No route to host")
        return FakeClient(self, ship["name"])

    def manager(self, client, spec, check_mode=False, **options):
        with self.lock:
            self.options.append((spec["name"], dict(options, check_mode=check_mode)))
        return FakeManager(self, spec, check_mode)

    def real(self, name, key):
        """``key`` of the managers that converged ``name`` for real (not a check-mode preview)."""
        return [options[key] for instance, options in self.options if instance == name and not options["check_mode"]]


class FakeClient:
    def __init__(self, ships=None, ship=None):
        self.ships, self.ship = ships, ship

    def containers(self, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        if self.ships is None:
            return []
        with self.ships.lock:
            self.ships.listings.append(self.ship)
        return list(self.ships.listing.get(self.ship, ()))

    def _answer(self, call, key, default):
        with self.ships.lock:
            self.ships.asked.append((self.ship, call))
        return self.ships.facts.get(self.ship, {}).get(key, default)

    def info(self):
        return {"Plugins": {"Log": self._answer("info", "log_drivers", ["json-file", "local"])}}

    def networks(self):
        names = self._answer("networks", "networks", ["bridge", "host", "none"])
        return [{"Name": name, "Id": "%064x" % index} for index, name in enumerate(names, 1)]

    def version(self, api_version=True):
        return {"ApiVersion": self._answer("version", "api", "1.41")}

    def inspect_image(self, image):
        ships = self.ships
        if ships is not None and image in ships.missing and (self.ship, image) not in ships.pulled:
            raise docker.errors.NotFound("No such image: %s" % image)
        return {"Id": IMAGE_ID, "Config": {"Cmd": ["sh"]}}

    def pull(self, image, stream=False, decode=False, auth_config=None):
        with self.ships.lock:
            self.ships.pulls.append((self.ship, image))
        if image in self.ships.pull_errors:
            raise self.ships.pull_errors[image]
        with self.ships.lock:
            self.ships.pulled.add((self.ship, image))
        return iter([{"status": "Status: Downloaded newer image for %s" % image}])


class FakeManager:
    def __init__(self, ships, spec, check_mode):
        self.ships, self.spec, self.check_mode = ships, spec, check_mode

    def converge(self, state, refresh=False, only_if_stopped=False, listed=None, aside=None):
        name, service, ships = self.spec["name"], self.spec["service"], self.ships
        with ships.lock:
            ships.running += 1
            ships.most_at_once = max(ships.most_at_once, ships.running)
            ships.journal.append((name, state, self.check_mode, ships.running))
            ships.converges.append((name, state, self.check_mode, refresh))
            if not self.check_mode:
                ships.running_of[service] = ships.running_of.get(service, 0) + 1
                ships.most_of[service] = max(ships.most_of.get(service, 0), ships.running_of[service])
                ship = self.spec["ship"]
                ships.on_ship[ship] = ships.on_ship.get(ship, 0) + 1
                ships.most_on_ship[ship] = max(ships.most_on_ship.get(ship, 0), ships.on_ship[ship])
        try:
            if ships.barrier and name in ships.barrier and not self.check_mode:
                ships.barrier[name].wait(timeout=5)  # BrokenBarrierError unless run at once
            if name in ships.gates and not self.check_mode and not ships.gates[name].wait(timeout=5):
                raise ContainerError("%s: its gate never opened" % name)
            if name in ships.failing and not self.check_mode:
                raise ContainerError("%s: exited with code 1" % name)
            return {
                "changed": True,
                "actions": [("would " if self.check_mode else "") + state],
                "reasons": list(ships.reasons.get(name, [])),
            }
        finally:
            with ships.lock:
                ships.running -= 1
                if not self.check_mode:
                    ships.running_of[service] -= 1
                    ships.on_ship[self.spec["ship"]] -= 1
                    ships.done.append(name)
            if name in ships.then and not self.check_mode:
                ships.then[name]()

    def proves_ready(self):
        return False

    def finish(self):
        with self.ships.lock:
            self.ships.finished.append(self.spec["name"])
        return {"changed": True, "actions": ["started", "removed previous"], "reasons": [], "rolled_back": None}

    def revert(self, why):
        with self.ships.lock:
            self.ships.reverted.append((self.spec["name"], why))
        return {"changed": True, "actions": ["started", "restored"], "reasons": [], "rolled_back": "b" * 64}
