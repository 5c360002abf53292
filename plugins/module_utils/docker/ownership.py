# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whose a container is. Every container this collection makes carries the labels of its
environment and instance (desired.py); a container that has an instance's name on its ship but
not those labels was made by hand, by MaestroNG or by another environment, and is never stopped,
replaced or removed without the user saying so (adopt)."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .desired import LABEL_ENVIRONMENT, LABEL_INSTANCE

ADOPT_HINT = "to take it over, with its volumes, run once with -e adopt=true (the maestro command: --adopt)"


def labels_of(container: Mapping[str, Any]) -> Mapping[str, str]:
    """The labels of a container listing entry or of an inspect."""
    if "Config" in container:
        return (container.get("Config") or {}).get("Labels") or {}
    return container.get("Labels") or {}


def stranger(container: Mapping[str, Any], environment: str, name: str) -> Optional[str]:
    """Who made ``container`` when it is not this environment's instance ``name`` (None: it is)."""
    labels = labels_of(container)
    if labels.get(LABEL_ENVIRONMENT) == environment and labels.get(LABEL_INSTANCE) == name:
        return None
    if LABEL_ENVIRONMENT in labels:
        return "maestro.ng environment %r (instance %r)" % (labels[LABEL_ENVIRONMENT], labels.get(LABEL_INSTANCE))
    return "no maestro.ng environment: it has none of its labels (made by hand, by MaestroNG or another tool)"


def refusal(name: str, ship: str, owner: str) -> str:
    """The one line that refuses to touch a container that is not ours."""
    return "%s on %s: the container named %s there was made by %s; nothing was changed (%s)" % (
        name,
        ship,
        name,
        owner,
        ADOPT_HINT,
    )
