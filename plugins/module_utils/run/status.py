# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status view: one row per instance, from one container listing per ship, with each
container's drift from the file."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from ..defaults import MAX_THREADS
from ..docker.client import (
    DockerException,
    NotFound,
    ShipUnreachable,
    connect,
    connection_errors,
    containers_by_name,
    error_text,
    short_id,
)
from ..docker.container import KEPT_FAILED, ContainerManager, aside_name, aside_of
from ..docker.drift import compare, listed_current
from .ports import port_states
from .report import ONESHOT_DONE, ONESHOT_FAILED, status_summary, status_table

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..records import InstanceSpec, StatusRow


def status(env: Environment, instances: Iterable[str], drift: bool = True, ports: bool = False) -> list[StatusRow]:
    """One row per instance: where it runs and what Docker says about it.

    drift: also compare each existing container with the file ("drift": [] when it
    matches, the reasons when not, None when there is no container to compare).
    ports: also try each named port from here ("port_states", run.ports), while the ships are asked.
    """
    wanted = [env.instances[name] for name in instances]
    if not ports:
        return _rows(env, wanted, drift)
    with ThreadPoolExecutor(1) as aside:
        states = aside.submit(port_states, env, [spec["name"] for spec in wanted])
        rows = _rows(env, wanted, drift)
        for row in rows:
            row["port_states"] = states.result()[row["instance"]]
    return rows


def status_result(
    env: Environment,
    instances: Iterable[str],
    drift: bool = True,
    ports: bool = False,
    hosts: bool = False,
    paint: Optional[Callable[[str, Optional[str]], str]] = None,
) -> dict[str, Any]:
    """The status command's result, as the status action returns it and the ``maestro`` command
    prints it: the rows (``instances``), their ``table`` (report.status_table, painted with
    ``paint``; ``hosts`` shows each ship's address), its ``summary`` line, and the ships down
    and instances drifted, when any."""
    started = time.monotonic()
    rows = status(env, instances, drift=drift, ports=ports)
    result: dict[str, Any] = dict(
        changed=False,
        environment=env.name,
        instances=rows,
        table=status_table(rows, paint=paint, hosts=hosts),
        summary=str(status_summary(rows, time.monotonic() - started)),
    )
    if hosts:
        result["show_hosts"] = True  # for the stdout callback, which paints the table again
    down = sorted({r["ship"] for r in rows if r["status"] == "host down"})
    if down:
        result["ships_down"] = down
    drifted = [r["instance"] for r in rows if r.get("drift")]
    if drifted:
        result["drifted"] = drifted
    return result


def _rows(env, wanted, drift):
    ships = sorted({spec["ship"] for spec in wanted})

    def listing(ship_name):
        ship = env.ships[ship_name]
        try:
            with connection_errors(ship_name, ship["docker_url"]):
                return ship_name, containers_by_name(connect(ship))
        except (ShipUnreachable, DockerException) as exc:
            return ship_name, exc

    with ThreadPoolExecutor(max(1, min(len(ships), MAX_THREADS))) as pool:
        seen = dict(pool.map(listing, ships))
    rows: list[StatusRow] = []
    entries: dict[str, dict] = {}
    for spec in wanted:
        found = seen[spec["ship"]]
        row: StatusRow = {
            "service": spec["service"],
            "instance": spec["name"],
            "ship": spec["ship"],
            "ship_ip": spec["ship_ip"],
            "image": spec["image"],
            "image_id": None,
            "container_id": None,
            "state": "absent",
            "status": "down",
            "ports": port_texts(spec),
            "drift": None,
        }
        if isinstance(found, ShipUnreachable):
            row.update({"state": "unknown", "status": "host down", "error": str(found)})
        elif isinstance(found, DockerException):
            row.update({"state": "unknown", "status": "cannot list", "error": error_text(found)})
        else:
            evidence = aside_of(found, spec["name"], env.name)[KEPT_FAILED]
            if evidence is not None:
                row["rolled_back"] = _rolled_back(env, spec, evidence)
        if not isinstance(found, Exception) and spec["name"] in found:
            container = entries[spec["name"]] = found[spec["name"]]
            row.update(
                {
                    "container_id": short_id(container["Id"]),
                    "image_id": short_id(container.get("ImageID")),
                    "state": container.get("State") or "unknown",
                    "status": _oneshot_status(container)
                    if spec["oneshot"] is not None
                    else container.get("Status") or "",
                }
            )
        rows.append(row)
    if drift:
        _add_drift(env, wanted, rows, entries)
    return rows


def _oneshot_status(entry):
    """A oneshot's container as what it did: ``done (exit 0, 3 minutes ago)``, ``failed (exit 1, ...)``,
    or Docker's word while it runs or before it ran."""
    status = entry.get("Status") or ""
    match = re.match(r"Exited \((\d+)\) (.*)", status)
    if not match:
        return status
    word = ONESHOT_DONE if match.group(1) == "0" else ONESHOT_FAILED
    return "%s (exit %s, %s)" % (word, match.group(1), match.group(2))


def _rolled_back(env, spec, evidence):
    """Why an instance's last change was rolled back, as its failed container shows it."""
    text = "the new container, kept as %s, %s" % (aside_name(spec["name"], KEPT_FAILED), evidence.get("Status") or "")
    try:
        last = connect(env.ships[spec["ship"]]).logs(evidence["Id"], tail=1).decode("utf-8", "replace").strip()
    except (ShipUnreachable, DockerException):
        last = ""
    return text + (": " + last if last else "")


def _add_drift(env, specs, rows, entries):
    """Fill each row's "drift": one image inspect per ship and image, then one container
    inspect per container whose listing entry does not already show it current (see
    drift.listed_current), all in parallel."""
    present = [(spec, row) for spec, row in zip(specs, rows) if row["container_id"]]
    if not present:
        return
    images = sorted({(spec["ship"], spec["image"]) for spec, _row in present})

    def inspect_image(key):
        ship_name, image = key
        ship = env.ships[ship_name]
        try:
            with connection_errors(ship_name, ship["docker_url"]):
                return key, connect(ship).inspect_image(image)
        except NotFound:
            return key, None
        except (ShipUnreachable, DockerException) as exc:
            return key, exc

    def inspect_container(item):
        spec, row = item
        ship = env.ships[spec["ship"]]
        try:
            with connection_errors(spec["ship"], ship["docker_url"]):
                manager = ContainerManager(connect(ship), spec, check_mode=True)
                manager.container = manager.client.inspect_container(row["container_id"])
                return manager.resolved_container()
        except (ShipUnreachable, DockerException) as exc:
            return exc

    with ThreadPoolExecutor(max(1, min(len(present) + len(images), MAX_THREADS))) as pool:
        image_of = dict(pool.map(inspect_image, images))

        def image_for(spec):
            return image_of[(spec["ship"], spec["image"])]

        current = {
            spec["name"]
            for spec, _row in present
            if not isinstance(image_for(spec), Exception)
            and listed_current(spec, entries[spec["name"]], image_for(spec))
        }
        rest = [item for item in present if item[0]["name"] not in current]
        inspects = dict(zip((spec["name"] for spec, _row in rest), pool.map(inspect_container, rest)))
    for spec, row in present:
        image, inspect = image_for(spec), inspects.get(spec["name"])
        if spec["name"] in current:
            row["drift"] = []
        elif isinstance(inspect, Exception) or isinstance(image, Exception):
            row["drift"] = ["cannot compare: %s" % (inspect if isinstance(inspect, Exception) else image)]
        else:
            row["drift"] = compare(spec, inspect, image)


def port_texts(spec: InstanceSpec) -> list[str]:
    texts = []
    for port in spec["ports"]:
        host = "" if port["host_ip"] == "0.0.0.0" else port["host_ip"] + ":"
        texts.append("%s:%s%s->%s/%s" % (port["name"], host, port["external"], port["exposed"], port["protocol"]))
    return texts
