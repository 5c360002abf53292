# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment file being read, as its section readers need it: where relative paths
start, the env files it names (each read once), and the warnings it earns."""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from ..errors import MaestroError
from . import docker_rules, schema
from .loader import line_of, read_env_file
from .vault import Secret, Vault


class FileContext:
    def __init__(self, file: str, folder: str, vault: Optional[Vault] = None):
        self.file = file  # the name errors and warnings show
        self.folder = folder  # relative paths in the file start here
        self.vault = vault or Vault()  # opens the file's vault data (its Secrets are listed there)
        self.warnings: list[str] = []  # located texts: "file:line: key: message"
        self._env_files: dict[str, Any] = {}

    def path(self, value: str) -> str:
        """``value`` with ``~`` expanded and, when relative, joined to the file's folder."""
        if not value:
            return value
        value = os.path.expanduser(value)
        return value if os.path.isabs(value) else os.path.join(self.folder, value)

    def env_files(self, parent: Mapping[str, Any], path: tuple) -> list[dict[str, str]]:
        """The variables of each file ``parent``'s ``envfile`` names, in order."""
        result = []
        for index, name in enumerate(schema.get_str_list(parent, "envfile", path)):
            full = self.path(name)
            if full not in self._env_files:
                try:
                    self._env_files[full] = read_env_file(full, name, self.vault)
                except MaestroError as exc:
                    listed = parent.get("envfile")
                    if isinstance(listed, list):
                        raise MaestroError(exc.message, path + ("envfile", index), line_of(listed, index)) from exc
                    raise MaestroError(exc.message, path + ("envfile",), line_of(parent, "envfile")) from exc
            result.append(self._env_files[full])
        return result

    def env(self, parent: Mapping[str, Any], path: tuple) -> dict[str, str]:
        """``parent``'s variables: its env files, then its ``env`` (which wins)."""
        variables = {}
        for env_file in self.env_files(parent, path):
            variables.update(env_file)
        own = schema.get_str_map(parent, "env", path, lists=True)
        for name in parent.get("env") or {}:
            message = docker_rules.env_name(str(name))
            if message:
                schema.fail(message, path + ("env", str(name)), parent["env"], name)
        variables.update(own)
        key = self.vault.file_key
        if key is not None:  # a wholly encrypted file: its env values are secrets by nature
            return {
                name: value if isinstance(value, Secret) else self.vault.secret(value, key)
                for name, value in variables.items()
            }
        return variables

    @property
    def files_read(self) -> list[str]:
        """The env files read so far (what the environment depends on besides its own file)."""
        return list(self._env_files)

    def warn(self, message: str, path: tuple, parent: Any, key: Any) -> None:
        self.warnings.append(str(MaestroError(message, path, line_of(parent, key), self.file)))
