# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's error types: a bad input, located (MaestroError), and a container that could
not be converged (ContainerError).

Every bad input is reported as ``FILE:LINE: KEY.PATH: message`` so a user can go
straight to the line; file and line are left out when they are not known.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional


class MaestroError(Exception):
    """A problem with an environment file, located by file, line and key path."""

    def __init__(self, message: str, path: Any = None, line: Optional[int] = None, file: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.path = tuple(path or ())
        self.line = line
        self.file = file

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)

    def located(self, file: Optional[str] = None, line: Optional[int] = None) -> MaestroError:
        """Fill in the file (and line) when the raiser did not know them."""
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        return self

    def __str__(self):
        where = ""
        if self.file:
            where = str(self.file) + (":%d" % self.line if self.line else "") + ": "
        elif self.line:
            where = "line %d: " % self.line
        key = self.key + ": " if self.path else ""
        return where + key + self.message


class ContainerError(Exception):
    """A failure to converge a container; ``result`` holds what was done until then."""

    def __init__(self, message: str, result: Optional[Mapping[str, Any]] = None):
        super().__init__(message)
        self.result: dict[str, Any] = dict(result or {})
