# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's anonymous volumes (``container_volumes``, the image's ``VOLUME``s), which a
replacement carries into the new container at the same paths, as Docker Compose does.

Docker names an anonymous volume with 64 hex digits. The new container mounts the old one's by
that name (a bind ``NAME:PATH``), so once carried they are named mounts to Docker: ``docker rm -v``
no longer removes them, and a comparison with the file must not count them as ``volumes``. Both
are asked of this file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

if TYPE_CHECKING:
    from ..records import InstanceSpec

_ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")


def explicit_targets(spec: InstanceSpec) -> set[str]:
    """Paths the file mounts something at itself (``volumes``): never anonymous."""
    return {volume["target"] for volume in spec["volumes"]}


def anonymous(container: Mapping[str, Any], spec: InstanceSpec) -> dict[str, str]:
    """{path: volume name} of the anonymous volumes an inspected container has (carried ones too)."""
    explicit = explicit_targets(spec)
    return {
        mount["Destination"]: mount["Name"]
        for mount in container.get("Mounts") or []
        if mount.get("Type") == "volume"
        and _ANONYMOUS.match(mount.get("Name") or "")
        and mount.get("Destination") not in explicit
    }


def wanted_paths(spec: InstanceSpec, image: Optional[Mapping[str, Any]]) -> set[str]:
    """The paths the new container gets anonymous volumes at: ``container_volumes`` and the image's."""
    paths = set(spec["container_volumes"]) | set(((image or {}).get("Config") or {}).get("Volumes") or {})
    return paths - explicit_targets(spec)


def carried_binds(old: Mapping[str, str], paths: Iterable[str]) -> list[str]:
    """Binds that mount the old container's anonymous volume at each path the new one wants one at."""
    return ["%s:%s" % (old[path], path) for path in sorted(paths) if path in old]


def is_carried(bind: str, spec: InstanceSpec) -> bool:
    """Whether a bind of an inspect is a carried anonymous volume (``NAME:PATH[:MODE]``)."""
    source, _sep, rest = bind.partition(":")
    return bool(_ANONYMOUS.match(source)) and rest.partition(":")[0] not in explicit_targets(spec)
