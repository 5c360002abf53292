# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Side tables of one reading of an environment file: what the steps after the section readers
(references, ordering, variables) need of the file but the model does not keep: the raw mappings
(for error lines), each one's place in the file, the env before the variables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    from ..records import Healthcheck, Port


class ServiceDraft:
    """A service as the file wrote it, for the readers after this one."""

    __slots__ = ("raw", "path", "index", "env", "ports", "limits", "lifecycle", "healthcheck", "oneshot")

    def __init__(self, raw: Mapping[str, Any], path: tuple, index: int):
        self.raw = raw
        self.path = path
        self.index = index  # its place in the file: the tie-break of the order
        self.env: dict[str, Any] = {}  # its env files and env, before the variables
        self.ports: dict[str, Port] = {}  # port name -> port, which instances may override
        self.limits: dict[str, Any] = {}
        self.lifecycle: dict[str, list[tuple]] = {}  # state -> [(raw check, its path)]
        self.healthcheck: Optional[Healthcheck] = None
        self.oneshot: Optional[float] = None  # seconds its containers may run to completion (None: not a oneshot)


class InstanceDraft:
    """An instance as the file wrote it."""

    __slots__ = ("raw", "path", "own_env")

    def __init__(self, raw: Mapping[str, Any], path: tuple, own_env: dict[str, str]):
        self.raw = raw
        self.path = path
        self.own_env = own_env  # its env files and env, before the variables


class Drafts:
    """The side tables of one reading: service name -> ServiceDraft, instance -> InstanceDraft."""

    def __init__(self) -> None:
        self.services: dict[str, ServiceDraft] = {}
        self.instances: dict[str, InstanceDraft] = {}
