# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local lab ships for playbooks/lab.yml, made by files/lab/lab.sh (the one lab script).

Ship K is lab.sh's ship: network namespace ``shipK``, its own dockerd at
``tcp://10.250.0.(K+1):2375``. lab.sh makes one ship with ``start-ship K`` and removes it,
and only it, with ``down-ship K`` (``down`` would remove the whole lab, other people's
ships too).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Mapping, Optional

from ..docker.client import TRANSPORT_ERRORS, DockerException, ShipUnreachable, connect, image_id, ship_at

# lab.sh's own defaults and overrides.
MAIN_DOCKER = os.environ.get("LAB_MAIN_DOCKER", "unix:///var/run/docker.sock")
PORT = int(os.environ.get("LAB_PORT", "2375"))
NETNS_DIR = "/var/run/netns"
# plugins/module_utils/lab/daemons.py -> the collection root.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))))
DEFAULT_SCRIPT = os.path.join(COLLECTION_ROOT, "files", "lab", "lab.sh")
TOOLS = ("ip", "nsenter", "setsid", "dockerd", "docker", "iptables", "flock")


class LabError(Exception):
    """Something the lab could not do; the message is one line for the user."""


def check_prerequisites(script: str) -> None:
    if os.geteuid() != 0:
        raise LabError(
            "the lab needs root (it makes network namespaces and starts dockerd): "
            "run ansible-playbook as root, e.g. with sudo"
        )
    if not os.path.isfile(script):
        raise LabError("lab script %s not found (pass -e lab_script=PATH to files/lab/lab.sh)" % script)
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise LabError(
            "missing tools: %s (apt-get install docker.io busybox-static iptables iproute2)" % ", ".join(missing)
        )


def exists(number: int) -> bool:
    """Whether lab ship ``number`` exists (its network namespace does)."""
    return os.path.exists(os.path.join(NETNS_DIR, "ship%d" % number))


def check_free(numbers: Iterable[int]) -> None:
    """Refuse ship numbers that exist already (another lab's, or the tests')."""
    taken = ["ship%d" % n for n in numbers if exists(n)]
    if taken:
        raise LabError(
            "%s already %s and %s not made by this lab (the tests use ships 1-30): choose free "
            "numbers with -e lab_first=N"
            % (", ".join(taken), "exists" if len(taken) == 1 else "exist", "was" if len(taken) == 1 else "were")
        )


def _run(script, *args):
    # lab.sh runs on the controller (the lab action plugin): there is no AnsibleModule.run_command.
    proc = subprocess.run(  # pylint: disable=ansible-bad-function
        ["bash", script] + [str(a) for a in args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        errors = [line for line in proc.stderr.splitlines() if "ERROR" in line] or proc.stderr.splitlines()[-1:]
        hint = " (choose the lab's ship numbers with -e lab_first=N)" if "ship number must be" in proc.stderr else ""
        said = " ".join(errors).strip() or "exit code %d, no message" % proc.returncode
        raise LabError("lab.sh %s failed: %s%s" % (" ".join(map(str, args)), said, hint))
    return proc.stdout


def running(number: int) -> Optional[dict[str, Any]]:
    """{"ip", "port", "url"} of ship ``number`` if it exists and its API answers, else None."""
    url = "tcp://%s:%d" % (ip_of(number), PORT)
    if exists(number) and _answers(url):
        return {"ip": ip_of(number), "port": PORT, "url": url, "started": False}
    return None


def start(script: str, number: int) -> dict[str, Any]:
    """Make ship ``number`` (idempotent) and return {"ip", "port", "url", "started"}; started is
    whether lab.sh had to make or start it."""
    up = running(number)
    if up:
        return up  # skip lab.sh and its lock
    out = _run(script, "start-ship", number)
    for line in out.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == "ship%d" % number and re.match(r"^tcp://[^:/]+:\d+$", words[1]):
            host, port = words[1].split("://", 1)[1].rsplit(":", 1)
            return {"ip": host, "port": int(port), "url": words[1], "started": True}
    raise LabError("lab.sh start-ship %d printed no ship line: %r" % (number, out))


def _answers(url):
    try:
        return bool(_client(url, url, timeout=5).ping())
    except (DockerException, OSError, ShipUnreachable) + TRANSPORT_ERRORS:
        return False


def _client(url, name, timeout=120):
    return connect(ship_at(name, url, api_version="auto", timeout=timeout))


def check_images(images_used: Mapping[str, list[str]]) -> dict[str, str]:
    """{image: id on the main daemon}; a missing image is named with what uses it."""
    main = _client(MAIN_DOCKER, "main")
    found = {image: image_id(main, image) for image in images_used}
    missing = [
        "%s (used by %s)" % (image, ", ".join(users)) for image, users in images_used.items() if not found[image]
    ]
    if missing:
        raise LabError(
            "not on the local Docker daemon (%s), so it cannot be copied into the lab: %s; "
            "pull or build it there first" % (MAIN_DOCKER, "; ".join(missing))
        )
    return {image: found_id for image, found_id in found.items() if found_id}


def images_to_copy(
    ship_urls: Mapping[str, str], wanted: Mapping[str, list[str]], ids: Mapping[str, str]
) -> list[tuple[str, str]]:
    """[(ship name, image)] whose ship lacks the image or has another id."""
    todo: list[tuple[str, str]] = []
    for name, images in wanted.items():
        client = _client(ship_urls[name], name)
        todo.extend((name, image) for image in images if image_id(client, image) != ids[image])
    return todo


def copy_images(ship_urls: Mapping[str, str], todo: list[tuple[str, str]]) -> None:
    """docker save on the main daemon (once per image), docker load on each ship (in parallel)."""
    main = _client(MAIN_DOCKER, "main")
    with tempfile.TemporaryDirectory(prefix="maestro-lab-") as folder:
        tars: dict[str, str] = {}
        for image in sorted({item[1] for item in todo}):
            tars[image] = os.path.join(folder, "%d.tar" % len(tars))
            with open(tars[image], "wb") as handle:
                for chunk in main.get_image(image):
                    handle.write(chunk)

        def load(item):
            name, image = item
            with open(tars[image], "rb") as handle:
                for line in _client(ship_urls[name], name).load_image(handle):
                    if isinstance(line, dict) and line.get("error"):
                        raise LabError("loading %s into lab ship %s failed: %s" % (image, name, line["error"]))

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(load, todo))


def remove(script: str, number: int) -> None:
    """Remove ship ``number`` and only it: containers, dockerd, netns, veth, data."""
    _run(script, "down-ship", number)


def ip_of(number: int) -> str:
    return "%s.%d" % (os.environ.get("LAB_NET", "10.250.0"), number + 1)
