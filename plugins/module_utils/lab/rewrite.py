# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab for an environment file: the file rewritten for local simulated ships.

Pure logic (no Docker, no subprocess): which lab ship each ship of the file becomes, the
rewritten document, its file name, and which images each lab ship needs. The ships
themselves are driven by daemons.py.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

from ..errors import MaestroError
from ..model.loader import SUFFIXES, LineDict, LineList, load_document

if TYPE_CHECKING:
    from ..model.environment import Environment

# Ship numbers 1-30 belong to the tests and the benchmarks (files/lab/lab.sh numbers ships
# globally: ship K is netns shipK at 10.250.0.(K+1)).
DEFAULT_FIRST = 50
# The key of the lab file that records what the lab made (unknown top-level keys are allowed).
LAB_KEY = "_maestro_lab"
# Ship settings a lab ship keeps; the rest (address, port, socket, TLS, SSH, API version)
# describe how to reach the real ship.
KEPT_SHIP_KEYS = ("timeout",)


def lab_file_name(env_path: str) -> str:
    """``dir/demo.yaml`` -> ``dir/demo.lab.yaml``: next to the original, so that relative
    paths in it (env files, certificates) still resolve."""
    folder, base = os.path.split(os.path.abspath(env_path))
    stem = base
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.endswith(".lab"):
        return os.path.join(folder, base)
    return os.path.join(folder, stem + ".lab.yaml")


def read_lab_record(path: str) -> Optional[dict[str, Any]]:
    """The ``_maestro_lab`` record of a lab file, or None when the file does not exist or
    is not a lab file."""
    if not os.path.isfile(path):
        return None
    doc = load_document(path)
    record = doc.get(LAB_KEY) if isinstance(doc, dict) else None
    return plain(record) if isinstance(record, dict) else None


def numbering(ship_names: Iterable[str], first: int) -> dict[str, int]:
    """{ship name: lab ship number}, in the file's order."""
    if not isinstance(first, int) or first < 1:
        raise MaestroError("lab_first must be a ship number >= 1, got %r" % (first,))
    return {name: first + index for index, name in enumerate(ship_names)}


def plain(value: Any) -> Any:
    """LineDict/LineList (the loader's line-aware types) -> dict/list, for dumping."""
    if isinstance(value, (dict, LineDict)):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, LineList)):
        return [plain(v) for v in value]
    return value


def _replace_addresses(value, addresses):
    # Exact matches only: a port's host_ip, an extra_hosts address, an env value naming a ship.
    if isinstance(value, dict):
        return {k: _replace_addresses(v, addresses) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_addresses(v, addresses) for v in value]
    if isinstance(value, str) and value in addresses:
        return addresses[value]
    return value


def rewrite(doc: Any, env: Environment, lab_ships: Mapping[str, dict], record: Mapping[str, Any]) -> Any:
    """The document of ``env`` with each ship pointed at its lab ship.

    ``doc`` is the rendered, parsed file; ``lab_ships`` maps ship name -> {"ip", "port"};
    ``record`` is stored under ``_maestro_lab``. Every string in ``services`` equal to a
    ship's address (ip or endpoint) becomes that ship's lab address.
    """
    doc = plain(doc)
    defaults = doc.get("ship_defaults") or {}
    doc["ship_defaults"] = {k: v for k, v in defaults.items() if k in KEPT_SHIP_KEYS}
    if not doc["ship_defaults"]:
        del doc["ship_defaults"]
    addresses: dict[str, str] = {}
    ships = {}
    for name, raw in (doc.get("ships") or {}).items():
        ship = env.ships[str(name)]
        lab = lab_ships[str(name)]
        kept = {k: v for k, v in (raw or {}).items() if k in KEPT_SHIP_KEYS}
        ships[name] = dict({"ip": lab["ip"], "docker_port": lab["port"]}, **kept)
        for address in (ship["ip"], ship["endpoint"]):
            addresses.setdefault(address, lab["ip"])
    doc["ships"] = ships
    if "services" in doc:
        doc["services"] = _replace_addresses(doc["services"], addresses)
    doc[LAB_KEY] = record
    return doc


def images_used(env: Environment) -> dict[str, list[str]]:
    """{image: [instances using it]}."""
    used: dict[str, list[str]] = {}
    for name, spec in env.instances.items():
        used.setdefault(spec["image"], []).append(name)
    return used


def images_by_ship(env: Environment) -> dict[str, list[str]]:
    """{ship name: sorted images its instances use}."""
    found: dict[str, set[str]] = {name: set() for name in env.ships}
    for spec in env.instances.values():
        found[spec["ship"]].add(spec["image"])
    return {name: sorted(images) for name, images in found.items()}


def dump(doc: Any, source: str) -> str:
    """The lab file's text. The original was rendered with Jinja2 already: the raw block
    keeps anything that looks like Jinja2 in the values from being rendered again."""
    import yaml

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True

    body = yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, default_flow_style=False, width=120)
    head = (
        "# The lab version of %s, written by playbooks/lab.yml: its ships are local lab ships.\n"
        "# Run any playbook with -e env=<this file>; remove the lab with\n"
        "#   ansible-playbook playbooks/lab.yml -e env=%s -e lab=down\n" % (source, source)
    )
    if "{{" in body or "{%" in body or "{#" in body:
        return head + "# {% raw %}\n" + body + "# {% endraw %}\n"
    return head + body
