# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment model: a MaestroNG file -> validated, normalised, ordered data.

``load(path)`` runs the pipeline: parse (loader.py) -> read each section (ships.py,
registries_section.py, audit_section.py, services.py and instances.py) -> check what they
say of each other (references.py) -> order (ordering.py) -> variables (envvars.py), and
returns an :class:`Environment` whose ``to_dict()`` is plain JSON-able data (what the
lookup plugin returns and what the container code consumes). Pure Python: no Docker and
no Ansible imports, so anything can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

from ..errors import MaestroError
from . import audit_section, docker_checks, envvars, ordering, references, registries_section, schema
from . import services as service_reader
from . import ships as ship_reader
from .file_context import FileContext
from .loader import base_dir, display_name, line_of, load_document
from .schema import fail
from .secrets import hide, hideable
from .vault import Secret, Vault, digests

if TYPE_CHECKING:
    from ..records import InstanceSpec, Level, Notifier, Registry, Service, Ship


class Environment:
    """A loaded environment; ``to_dict()`` gives its documented plain form."""

    def __init__(
        self,
        name: str,
        file: str,
        schema_version: int,
        ships: dict[str, Ship],
        services: dict[str, Service],
        instances: dict[str, InstanceSpec],
        levels: list[Level],
        registries: dict[str, Registry],
        audit: list[Notifier],
        warnings: Iterable[str] = (),
        where: Optional[Mapping[str, Mapping[str, tuple]]] = None,
        files: Iterable[str] = (),
        secrets: Iterable[Secret] = (),
    ):
        self.name = name
        self.file = file
        self.schema = schema_version
        self.ships = ships  # name -> ship dict
        self.services = services  # name -> service dict, in dependency order
        self.instances = instances  # name -> instance spec, in dependency order
        self.levels = levels  # [{level, services, instances}]
        self.registries = registries
        self.audit = audit
        # Located texts ("file:line: key: ...") of what loads but may not mean what it says.
        self.warnings = list(warnings)
        # instance -> {setting a ship checks: (its key path in the file, its line)} (docker_checks.py)
        self.where = dict(where or {})
        # The env files it read (its own file, and what that file's templates include, aside).
        self.files = list(files)
        # The values its vault data held (model/vault.py), clear: outputs hide them (secrets.py).
        self.secrets = list(secrets)

    def located(self, instance: str, key: str, message: str) -> str:
        """``file:line: key.path: message`` for a setting of ``instance`` a ship refused (before any change)."""
        path, line = self.where.get(instance, {}).get(key, (("services", self.instances[instance]["service"]), None))
        return str(MaestroError(message, path, line, self.file))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "schema": self.schema,
            "ships": self.ships,
            "services": list(self.services.values()),
            "levels": self.levels,
            "instances": self.instances,
            "registries": self.registries,
            "audit": self.audit,
        }


def load(
    path: str, stdin: Any = None, environ: Optional[Mapping[str, str]] = None, vault: Optional[Vault] = None
) -> Environment:
    """Load and check an environment file (``-`` reads standard input); ``vault`` opens its vault data."""
    shown = display_name(path)
    vault = vault or Vault()
    try:
        doc = load_document(path, stdin=stdin, environ=environ, vault=vault)
        return build(doc, FileContext(shown, base_dir(path), vault))
    except MaestroError as exc:
        exc.located(shown)
        exc.message = hide(exc.message, hideable(vault.secrets))
        raise


def build(doc: Mapping[str, Any], context: FileContext) -> Environment:
    """The Environment of a parsed document."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise MaestroError("an environment file must be a mapping, got %s" % schema.type_name(doc), line=line_of(doc))
    name = schema.get_str(doc, "name", (), required=False)
    if not name:
        fail("environment name is missing", ("name",), doc, "name" if "name" in doc else None)
    schema_version = _schema_version(doc, context)
    ships = ship_reader.read(doc, context)
    registries = registries_section.read(doc)
    audit = audit_section.read(doc, context.folder)
    if context.vault.file_key is not None:  # a wholly encrypted file: credentials are secrets by nature
        _credentials_secret(registries, audit, context)
    services, instances, drafts = service_reader.read(doc, context, name, schema_version, ships)
    references.check(services, instances, drafts)
    where = docker_checks.check(instances, drafts)
    service_level, levels = ordering.order(services, instances, drafts)
    ordered = sorted(services, key=lambda s: (service_level[s], drafts.services[s].index))
    services = {s: services[s] for s in ordered}
    envvars.compose(name, services, instances, drafts)
    instances = {i: instances[i] for level in levels for i in level["instances"]}
    if context.vault.secrets:
        for spec in instances.values():
            spec["secret_digests"] = digests(spec)
    return Environment(
        name,
        context.file,
        schema_version,
        ships,
        services,
        instances,
        levels,
        registries,
        audit,
        context.warnings,
        where,
        context.files_read,
        context.vault.secrets,
    )


def _credentials_secret(registries, audit, context):
    key = context.vault.file_key
    for registry in registries.values():
        for field in ("username", "password"):
            if registry.get(field):
                registry[field] = context.vault.secret(registry[field], key)
    for notifier in audit:
        if notifier.get("token"):
            notifier["token"] = context.vault.secret(notifier["token"], key)
        if notifier.get("headers"):
            notifier["headers"] = {
                name: context.vault.secret(str(value), key) for name, value in notifier["headers"].items()
            }


def _schema_version(doc, context):
    meta = schema.get_map(doc, "__maestro", ())
    value = meta.get("schema", 1)
    path = ("__maestro", "schema")
    if isinstance(value, dict):
        # MaestroNG 0.8.3 only tests `schema == 1`, so a mapping, whatever it holds, is
        # schema 2 there; files that ran with it keep their volumes that way.
        context.warn(
            "%s is read as schema 2 (volumes are host: container), as MaestroNG 0.8.3 reads every "
            "schema but a plain 1; write schema: 2" % _flow(value),
            path,
            meta,
            "schema",
        )
        return 2
    if value not in (1, 2) or isinstance(value, bool):
        fail("unsupported schema %r (1 or 2)" % (value,), path, meta, "schema")
    return value


def _flow(mapping):
    """``{version: 1}``: a small mapping as it is written in YAML's flow style."""
    return "{%s}" % ", ".join("%s: %s" % item for item in mapping.items())
