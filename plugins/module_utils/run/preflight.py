# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only a ship can say of a file's settings, asked before the first change of a run that
creates containers: whether it has the log drivers and the networks its instances name, and
whether its Docker is new enough for their capabilities. One round per ship (the calls its
instances' settings need, none when they need none); the images are the orchestrator's (present,
or pulled, before anything changes), and say whether there is a command to run. Each refusal is
located in the file (model/docker_checks.py) and names the instance and the ship."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

from ..model.docker_rules import NEWER_CAPABILITIES, NEWER_SETTINGS, capability_name, user_network

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import InstanceSpec

LOG_DRIVERS = "log_drivers"
NETWORKS = "networks"
DAEMON_API = "daemon_api"


def questions(env: Environment, names: Iterable[str]) -> dict[str, set[str]]:
    """{ship: what to ask it} for the instances ``names``: only ships whose instances need an answer."""
    wanted: dict[str, set[str]] = {}
    for name in names:
        spec = env.instances[name]
        asks = wanted.setdefault(spec["ship"], set())
        if spec["log_driver"]:
            asks.add(LOG_DRIVERS)
        if user_network(spec["network_mode"]):
            asks.add(NETWORKS)
        if _newer(spec):
            asks.add(DAEMON_API)
    return {ship: asks for ship, asks in wanted.items() if asks}


def ask(client: Any, what: set[str]) -> dict[str, Any]:
    """A ship's answers: its log drivers (built in and plugins), its networks ({name: id}), the
    newest API version its daemon speaks."""
    facts: dict[str, Any] = {}
    if LOG_DRIVERS in what:
        facts[LOG_DRIVERS] = set((client.info().get("Plugins") or {}).get("Log") or ())
    if NETWORKS in what:
        facts[NETWORKS] = {network["Name"]: network["Id"] for network in client.networks()}
    if DAEMON_API in what:
        facts[DAEMON_API] = client.version(api_version=False)["ApiVersion"]
    return facts


def refusals(
    env: Environment, names: Iterable[str], facts: Mapping[str, Optional[Mapping[str, Any]]]
) -> dict[str, str]:
    """{instance: the located line refusing it} for what its ship said it lacks."""
    refused = {}
    for name in names:
        spec = env.instances[name]
        known = facts.get(spec["ship"]) or {}
        networks = known.get(NETWORKS)
        for key, why in (
            ("log_driver", _lacks(spec["log_driver"], known.get(LOG_DRIVERS), "log driver")),
            (
                "network_mode",
                _lacks(user_network(spec["network_mode"]), networks, "network", (networks or {}).values()),
            ),
            *_too_old(spec, known.get(DAEMON_API)),
        ):
            if why is not None:
                refused[name] = env.located(name, key, "%s on ship %s: %s" % (name, spec["ship"], why))
                break
    return refused


def image_refusal(spec: InstanceSpec, image: Optional[Mapping[str, Any]]) -> Optional[str]:
    """Why the container of ``spec`` could not be created from ``image`` (its inspect), if it could not."""
    config = (image or {}).get("Config") or {}
    if image and spec["command"] is None and not config.get("Cmd") and not config.get("Entrypoint"):
        return "the image %s has no command (CMD or ENTRYPOINT), and the file gives none" % spec["image"]
    return None


def _newer(spec: InstanceSpec) -> list[tuple[str, str, str]]:
    """[(key, what, the API version it needs)] of ``spec``'s settings that only newer daemons know."""
    found = [
        (key, capability_name(value), NEWER_CAPABILITIES[capability_name(value)])
        for key in ("cap_add", "cap_drop")
        for value in spec[key]
        if capability_name(value) in NEWER_CAPABILITIES
    ]
    for (key, field), version in NEWER_SETTINGS.items():
        settings: Mapping[str, Any] = spec.get(key) or {}  # type: ignore[assignment]
        if field in settings:
            found.append((key, "%s.%s" % (key, field), version))
    return found


def _too_old(spec: InstanceSpec, version: Optional[str]) -> list[tuple[str, Optional[str]]]:
    if version is None:
        return []
    return [
        (key, "%s needs Docker API %s or newer; the ship's is %s" % (what, needed, version))
        for key, what, needed in _newer(spec)
        if _version(version) < _version(needed)
    ]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _lacks(value: Optional[str], names: Optional[Iterable[str]], what: str, ids: Iterable[str] = ()) -> Optional[str]:
    """Why the ship lacks ``value``, one of ``names`` (None: not asked), or an id of ``ids`` by a unique
    prefix (as Docker takes a network's id)."""
    if not value or names is None or value in names or sum(1 for item in ids if item.startswith(value)) == 1:
        return None
    return "the ship has no %s %r (it has: %s)" % (what, value, ", ".join(sorted(names)) or "none")
