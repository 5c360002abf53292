# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values of an environment that are secret: by nature (registry passwords, audit tokens,
an http notifier's headers) or because its vault data held them (vault.py), and text or data
with every one of them hidden, wherever it stands (an error text, an env value that repeats one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..defaults import HIDDEN
from .vault import MIN_HIDDEN

if TYPE_CHECKING:
    from .environment import Environment


def secret_values(env: Environment) -> list[str]:
    """The secret strings of ``env``, longest first (so a secret inside another is hidden whole)."""
    found = {registry.get("password") for registry in env.registries.values()}
    found.update(hideable(env.secrets))
    for notifier in env.audit:
        found.add(notifier.get("token"))
        found.update(str(value) for value in (notifier.get("headers") or {}).values())
    return sorted((value for value in found if value), key=len, reverse=True)


def hideable(values: Iterable[str]) -> list[str]:
    """The vault values worth hiding in free text (vault.MIN_HIDDEN), longest first."""
    return sorted((value for value in values if len(value) >= MIN_HIDDEN), key=len, reverse=True)


def hide(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return text


def hidden(data: Any, secrets: list[str]) -> Any:
    """A copy of plain data (dicts, lists, scalars) with every secret in its strings hidden."""
    if isinstance(data, str):
        return hide(data, secrets)
    if isinstance(data, dict):
        return {key: hidden(value, secrets) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [hidden(value, secrets) for value in data]
    return data


def dump(env: Environment, names: list[str], config: bool = False) -> dict[str, Any]:
    """MaestroNG's ``dump``: the instances ``names`` as their containers get them (image, ports,
    volumes, env with the dependency variables, ...), and with ``config`` the whole parsed
    environment too (ships, services, levels, registries, audit); secrets hidden."""
    doc: dict[str, Any] = {}
    if config:
        doc["environment"] = {key: value for key, value in env.to_dict().items() if key != "instances"}
    doc["instances"] = {name: env.instances[name] for name in names}
    return hidden(doc, secret_values(env))
