# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/lab.yml's work: local lab ships for an environment file and the file rewritten
to use them (FILE -> FILE.lab.yaml: rewrite.py), or all of that removed again (the ships
themselves: daemons.py)."""

from __future__ import annotations

import os
from typing import Any, Optional

from ..errors import MaestroError
from ..model.environment import load
from ..model.loader import load_document
from . import daemons, rewrite


def up(env_path: str, first: Optional[int], script: str, check_mode: bool = False) -> dict[str, Any]:
    """Make (or repair) the lab of ``env_path``: its ships from ``first`` on (None: the number
    its lab file records, or rewrite.DEFAULT_FIRST), their images, the lab file. A result dict."""
    env = load(env_path)
    lab_path, record, ours, first = _claim(env_path, first)
    numbers = rewrite.numbering(list(env.ships), first)
    daemons.check_prerequisites(script)
    daemons.check_free([n for n in numbers.values() if n not in ours])
    ids = daemons.check_images(rewrite.images_used(env))
    stale = sorted(ours - set(numbers.values()))
    if check_mode:
        running = {name: daemons.running(number) for name, number in numbers.items()}
        if stale or None in running.values():
            return {
                "changed": True,
                "lab_env": lab_path,
                "msg": "would make lab ships %s for %s" % (", ".join(map(str, numbers.values())), env_path),
            }
        ships = {name: ship for name, ship in running.items() if ship is not None}
    else:
        for number in stale:  # ships the file no longer has
            daemons.remove(script, number)
        ships = _start(script, numbers, ours)
    started = [name for name, ship in ships.items() if ship.pop("started")]
    for name, number in numbers.items():
        ships[name] = dict(ships[name], number=number, was=env.ships[name]["docker_url"])
    urls = {name: ship["url"] for name, ship in ships.items()}
    todo = daemons.images_to_copy(urls, rewrite.images_by_ship(env), ids)
    new_record = {
        "source": os.path.abspath(env_path),
        "first": first,
        "ships": {name: {"number": s["number"], "url": s["url"], "was": s["was"]} for name, s in ships.items()},
    }
    text = rewrite.dump(rewrite.rewrite(load_document(env_path), env, ships, new_record), env_path)
    old = None
    if os.path.isfile(lab_path):
        with open(lab_path, encoding="utf-8") as handle:
            old = handle.read()
    changed = bool(stale or started or todo or old != text)
    if check_mode:
        return {
            "changed": changed,
            "lab_env": lab_path,
            "msg": "would copy %d image(s)%s" % (len(todo), ", rewrite %s" % lab_path if old != text else ""),
        }
    try:
        daemons.copy_images(urls, todo)
    except Exception:
        _roll_back(script, [n for n in numbers.values() if n not in ours])
        raise
    if old != text:
        with open(lab_path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return {
        "changed": changed,
        "lab_env": lab_path,
        "ships": ships,
        "copied": [{"ship": n, "image": i} for n, i in todo],
        "msg": _made(env_path, lab_path, ships, todo),
    }


def _claim(env_path, first):
    """(lab file, its record, the ship numbers it holds, the first ship number) of an
    original environment file, refusing a lab file or another file's lab."""
    if rewrite.LAB_KEY in load_document(env_path):
        raise MaestroError("is a lab file already: give the original environment file", file=env_path)
    lab_path = rewrite.lab_file_name(env_path)
    record = rewrite.read_lab_record(lab_path) or {}
    if record and record.get("source") != os.path.abspath(env_path):
        raise MaestroError("%s belongs to the lab of %s" % (lab_path, record.get("source")), file=env_path)
    ours = {s["number"] for s in record.get("ships", {}).values()}
    if first is None:
        first = record.get("first", rewrite.DEFAULT_FIRST)
    elif record and first != record.get("first"):
        raise daemons.LabError(
            "the lab of %s uses ships from %s: remove it first (-e lab=down) to "
            "renumber it" % (env_path, record.get("first"))
        )
    return lab_path, record, ours, first


def _made(env_path, lab_path, ships, todo):
    lines = ["%s: lab ship%d at %s (was %s)" % (name, s["number"], s["url"], s["was"]) for name, s in ships.items()]
    lines += [
        "%d image(s) copied in: %s" % (len(todo), ", ".join("%s -> %s" % (i, n) for n, i in todo))
        if todo
        else "images already in place",
        "lab environment file: %s" % lab_path,
        "every playbook runs on the lab with -e env=%s, e.g. ansible-playbook playbooks/start.yml -e env=%s"
        % (lab_path, lab_path),
        "remove the lab: ansible-playbook playbooks/lab.yml -e env=%s -e lab=down" % env_path,
    ]
    return "\n".join(lines)


def _start(script, numbers, ours):
    ships = {}
    try:
        for name, number in numbers.items():
            ships[name] = daemons.start(script, number)
    except Exception:
        _roll_back(script, [n for n in numbers.values() if n not in ours])
        raise
    return ships


def _roll_back(script, numbers):
    # Ships made by a run that failed are recorded nowhere: remove them, or the next run
    # would find them taken.
    for number in numbers:
        if daemons.exists(number):
            daemons.remove(script, number)


def down(env_path: str, script: str, check_mode: bool = False) -> dict[str, Any]:
    """Remove the lab of ``env_path``: its ships and its lab file. A result dict."""
    lab_path = rewrite.lab_file_name(env_path)
    record = rewrite.read_lab_record(lab_path)
    if not record:
        return {"changed": False, "msg": "no lab for %s (%s does not exist)" % (env_path, lab_path)}
    numbers = sorted(s["number"] for s in record.get("ships", {}).values())
    if check_mode:
        return {"changed": True, "msg": "would remove lab ships %s" % ", ".join(map(str, numbers))}
    daemons.check_prerequisites(script)
    for number in numbers:
        daemons.remove(script, number)
    os.remove(lab_path)
    return {
        "changed": True,
        "removed": numbers,
        "msg": "removed lab ship%s %s and %s"
        % ("s" if len(numbers) > 1 else "", ", ".join(map(str, numbers)), lab_path),
    }
