# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``registries`` section, read and checked for the model (pulls with it: registries.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping

from . import schema
from .schema import fail

if TYPE_CHECKING:
    from ..records import Registry

# A registry URL: an optional http(s) scheme, then a host (and port), then an optional path.
_REGISTRY_URL = re.compile(r"^(https?://)?[A-Za-z0-9._\[\]:-]*[A-Za-z0-9\]](:\d+)?(/\S*)?$")


def read(doc: Mapping[str, Any]) -> dict[str, Registry]:
    """Registry name -> {name, registry, username, password, email, retry: {attempts, when}}."""
    raw = schema.get_map(doc, "registries", ())
    result: dict[str, Registry] = {}
    for name, reg in raw.items():
        path = ("registries", str(name))
        schema.check_map(reg, path, raw, name)
        schema.check_keys(reg, schema.REGISTRY_KEYS, path, "registry")
        retry = schema.get_map(reg, "retry", path)
        schema.check_keys(retry, schema.RETRY_KEYS, path + ("retry",), "retry")
        codes = retry.get("when") or []
        if not isinstance(codes, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in codes
        ):
            fail("must be a list of HTTP status codes (100-599)", path + ("retry", "when"), retry, "when")
        url = schema.get_str(reg, "registry", path, required=True)
        if not _REGISTRY_URL.match(url):
            # The value is not shown: it may hold credentials (user:password@host).
            fail(
                "must be a registry URL like https://registry.example.com:5000/v1/ (scheme, host, port, "
                "path; credentials go in username and password)",
                path + ("registry",),
                reg,
                "registry",
            )
        result[str(name)] = {
            "name": str(name),
            "registry": url,
            "username": schema.get_str(reg, "username", path),
            "password": schema.get_str(reg, "password", path),
            "email": schema.get_str(reg, "email", path),
            "retry": {
                "attempts": schema.get_int(retry, "attempts", path + ("retry",), default=3, minimum=1),
                "when": list(codes),
            },  # plain: inventory variables refuse LineList
        }
    return result
