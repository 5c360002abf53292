# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment model: a MaestroNG file -> validated, normalised, ordered data.

``load(path)`` runs parse -> validate/normalise -> order -> variables and returns an
:class:`Environment` whose ``to_dict()`` is plain JSON-able data (what the lookup
plugin returns and what the container code consumes). Pure Python: no Docker and
no Ansible imports, so anything can use it.
"""

from __future__ import annotations

import os
import re

from . import audit_section, envvars, ordering, ports as portspec, schema
from .defaults import CHECK_MAX_WAIT, DEFAULT_STOP_TIMEOUT, DEFAULT_TIMEOUT, EXEC_CHECK_ATTEMPTS
from .errors import MaestroError
from .loader import base_dir, display_name, line_of, load_document, read_env_file
from .schema import fail

DEFAULT_DOCKER_PORT = 2375
DEFAULT_TLS_PORT = 2376
API_VERSION = re.compile(r"^1\.(\d+)$")
MIN_API_MINOR = 24  # docker SDK 7 refuses older API versions
# A registry URL: an optional http(s) scheme, then a host (and port), then an optional path.
_REGISTRY_URL = re.compile(r"^(https?://)?[A-Za-z0-9._\[\]:-]*[A-Za-z0-9\]](:\d+)?(/\S*)?$")
_SIZE = re.compile(r"^\s*(\d+)\s*([kKmMgG]?)[bB]?\s*$")
# The instance name is the container's name: Docker's rule, so a bad one fails here and not at the daemon.
CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_SERVICE_HINTS = {key: "an instance setting: put it under each instance"
                  for key in schema.INSTANCE_KEYS - schema.SERVICE_KEYS}


class Environment:
    """A loaded environment; ``to_dict()`` gives its documented plain form."""

    def __init__(self, name, file, schema_version, ships, services, instances, levels,
                 registries, audit, warnings=()):
        self.name = name
        self.file = file
        self.schema = schema_version
        self.ships = ships            # name -> ship dict
        self.services = services      # name -> service dict, in dependency order
        self.instances = instances    # name -> instance spec, in dependency order
        self.levels = levels          # [{level, services, instances}]
        self.registries = registries
        self.audit = audit
        # Located texts ("file:line: key: ...") of what loads but may not mean what it says.
        self.warnings = list(warnings)

    def to_dict(self):
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


def load(path, stdin=None, environ=None):
    """Load and check an environment file (``-`` reads standard input)."""
    shown = display_name(path)
    try:
        doc = load_document(path, stdin=stdin, environ=environ)
        return _Builder(doc, shown, base_dir(path)).build()
    except MaestroError as exc:
        raise exc.located(shown)


def _flow(mapping):
    """``{version: 1}``: a small mapping as it is written in YAML's flow style."""
    return "{%s}" % ", ".join("%s: %s" % item for item in mapping.items())


def _variable_prefix(taken, prefix, what, name, path, parent):
    """``prefix`` (the parts of a MaestroNG variable name for ``name``) unless another
    service or instance of the same service has it: MaestroNG turns every non-word
    character into ``_`` and upper-cases, so ``log_1`` and ``log.1`` would both give
    ``LOG_1_*`` and the later one would silently win."""
    if prefix in taken:
        fail("%s %r and %r both give the variables %s_* (MaestroNG turns every non-word character into _); "
             "rename one" % (what, taken[prefix], name, "_".join(prefix)), path, parent, name)
    taken[prefix] = name
    return prefix


def _size(parent, key, path):
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value)) if isinstance(value, str) else None
    if not match:
        fail("must be a size in bytes or with a k/m/g suffix, got %r" % (value,), path + (key,), parent, key)
    return int(match.group(1)) * 1024 ** " kmg".index(match.group(2).lower() or " ")


class _Builder:
    def __init__(self, doc, file, folder):
        self.doc = doc
        self.file = file
        self.folder = folder
        self._env_files = {}
        self.warnings = []

    # ------------------------------------------------------------------ top level
    def build(self):
        doc = self.doc
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise MaestroError("an environment file must be a mapping, got %s" % schema.type_name(doc),
                               line=line_of(doc))
        name = schema.get_str(doc, "name", (), required=False)
        if not name:
            fail("environment name is missing", ("name",), doc, "name" if "name" in doc else None)
        self.name = name
        self.schema = self._schema_version(doc)
        self.ships = self._ships(doc)
        registries = self._registries(doc)
        audit = self._audit(doc)
        services, instances = self._services(doc)
        self._check_references(services, instances)
        order, levels = self._order(services, instances)
        ordered_services = {}
        for svc in sorted(services.values(), key=lambda s: (order[s["name"]], s["_index"])):
            ordered_services[svc["name"]] = svc
        self._variables(ordered_services, instances)
        ordered_instances = {}
        for level in levels:
            for inst in level["instances"]:
                ordered_instances[inst] = instances[inst]
        public = {}
        for svc in ordered_services.values():
            svc["level"] = min(instances[i]["level"] for i in svc["instances"])
            public[svc["name"]] = {k: v for k, v in svc.items() if not k.startswith("_")}
        return Environment(self.name, self.file, self.schema, self.ships, public,
                           ordered_instances, levels, registries, audit, self.warnings)

    def _schema_version(self, doc):
        meta = schema.get_map(doc, "__maestro", ())
        value = meta.get("schema", 1)
        path = ("__maestro", "schema")
        if isinstance(value, dict):
            # MaestroNG 0.8.3 only tests `schema == 1`, so a mapping, whatever it holds, is
            # schema 2 there; files that ran with it keep their volumes that way.
            self._warn("%s is read as schema 2 (volumes are host: container), as MaestroNG 0.8.3 reads every "
                       "schema but a plain 1; write schema: 2" % _flow(value), path, meta, "schema")
            return 2
        if value not in (1, 2) or isinstance(value, bool):
            fail("unsupported schema %r (1 or 2)" % (value,), path, meta, "schema")
        return value

    def _warn(self, message, path, parent, key):
        self.warnings.append(str(MaestroError(message, path, line_of(parent, key), self.file)))

    # ------------------------------------------------------------------ ships
    def _ships(self, doc):
        defaults = schema.get_map(doc, "ship_defaults", ())
        schema.check_keys(defaults, schema.SHIP_DEFAULT_KEYS, ("ship_defaults",), "ship_defaults",
                          dict.fromkeys(("ip", "endpoint"), "set it on each ship, not in ship_defaults"))
        ships_raw = schema.get_map(doc, "ships", (), required=True)
        if not ships_raw:
            fail("must define at least one ship", ("ships",), doc, "ships")
        ships = {}
        for name, raw in ships_raw.items():
            path = ("ships", str(name))
            schema.check_map(raw, path, ships_raw, name)
            schema.check_keys(raw, schema.SHIP_KEYS, path, "ship")
            ships[str(name)] = self._ship(str(name), raw, defaults, path)
        return ships

    def _ship(self, name, raw, defaults, path):
        merged = dict(defaults)
        merged.update((k, v) for k, v in raw.items() if v is not None)
        # Keep the lines of whichever mapping the value came from.
        src = {k: (raw if k in raw else defaults) for k in merged}

        def origin(key):
            return src.get(key, raw), (path if src.get(key, raw) is raw else ("ship_defaults",))

        def get(reader, key, **kw):
            parent, where = origin(key)
            return reader(parent, key, where, **kw) if key in merged else kw.get("default")

        ip = schema.get_str(raw, "ip", path, required=True)
        endpoint = schema.get_str(raw, "endpoint", path) or ip
        tls = get(schema.get_bool, "tls", default=False)
        tls_verify = get(schema.get_bool, "tls_verify", default=False)
        port = get(schema.get_int, "docker_port", default=None, minimum=1)
        socket_path = get(schema.get_str, "socket_path")
        ssh_tunnel = None
        if "ssh_tunnel" in merged:
            parent, where = origin("ssh_tunnel")
            tunnel = schema.get_map(parent, "ssh_tunnel", where)
            schema.check_keys(tunnel, schema.SSH_TUNNEL_KEYS, where + ("ssh_tunnel",), "ssh_tunnel")
            ssh_tunnel = {
                "user": schema.get_str(tunnel, "user", where + ("ssh_tunnel",), required=True),
                "key": self._path(schema.get_str(tunnel, "key", where + ("ssh_tunnel",), required=True)),
                "port": schema.get_int(tunnel, "port", where + ("ssh_tunnel",), default=22, minimum=1),
            }
        api_version = get(schema.get_str, "api_version")
        if api_version not in (None, "auto"):
            self._check_api_version(api_version, *origin("api_version"))
        timeout = get(schema.get_number, "timeout", default=DEFAULT_TIMEOUT)
        if not timeout:
            parent, where = origin("timeout")
            fail("must be more than 0 seconds", where + ("timeout",), parent, "timeout")
        if port is None:
            port = DEFAULT_TLS_PORT if (tls or tls_verify) else DEFAULT_DOCKER_PORT
        if ssh_tunnel:
            # Where the Docker API is reached from (docker_client.py opens the tunnel);
            # the daemon sits behind it at docker_port (or socket_path) on the ship.
            url = "ssh://%s@%s:%d" % (ssh_tunnel["user"], endpoint, ssh_tunnel["port"])
        elif socket_path:
            url = "unix://" + socket_path
        else:
            url = "tcp://%s:%d" % (endpoint, port)
        return {
            "name": name,
            "ip": ip,
            "endpoint": endpoint,
            "docker_port": port,
            "socket_path": socket_path,
            "docker_url": url,
            "api_version": api_version,
            "timeout": timeout,
            "ssh_timeout": get(schema.get_number, "ssh_timeout", default=None),
            "ssh_tunnel": ssh_tunnel,
            "tls": tls or tls_verify,
            "tls_verify": tls_verify,
            "tls_ca_cert": self._path(get(schema.get_str, "tls_ca_cert")),
            "tls_cert": self._path(get(schema.get_str, "tls_cert")),
            "tls_key": self._path(get(schema.get_str, "tls_key")),
        }

    @staticmethod
    def _check_api_version(version, parent, where):
        def bad(message):
            fail(message, where + ("api_version",), parent, "api_version")

        match = API_VERSION.match(version)
        if not match:
            bad('must be a Docker API version such as "1.41", or auto; got %r' % version)
        if int(match.group(1)) < MIN_API_MINOR:
            if not isinstance(parent["api_version"], str) and len(match.group(1)) == 1:
                bad('quote it: YAML reads 1.%s0 as the number %s' % (match.group(1), version))
            bad("the docker SDK speaks API 1.%d and later; got %s" % (MIN_API_MINOR, version))

    def _path(self, value):
        if not value:
            return value
        value = os.path.expanduser(value)
        return value if os.path.isabs(value) else os.path.join(self.folder, value)

    # ------------------------------------------------------------------ registries, audit
    def _registries(self, doc):
        raw = schema.get_map(doc, "registries", ())
        result = {}
        for name, reg in raw.items():
            path = ("registries", str(name))
            schema.check_map(reg, path, raw, name)
            schema.check_keys(reg, schema.REGISTRY_KEYS, path, "registry")
            retry = schema.get_map(reg, "retry", path)
            schema.check_keys(retry, schema.RETRY_KEYS, path + ("retry",), "retry")
            codes = retry.get("when") or []
            if not isinstance(codes, list) or not all(isinstance(c, int) and not isinstance(c, bool)
                                                      and 100 <= c <= 599 for c in codes):
                fail("must be a list of HTTP status codes (100-599)", path + ("retry", "when"), retry, "when")
            url = schema.get_str(reg, "registry", path, required=True)
            if not _REGISTRY_URL.match(url):
                # The value is not shown: it may hold credentials (user:password@host).
                fail("must be a registry URL like https://registry.example.com:5000/v1/ (scheme, host, port, "
                     "path; credentials go in username and password)", path + ("registry",), reg, "registry")
            result[str(name)] = {
                "name": str(name),
                "registry": url,
                "username": schema.get_str(reg, "username", path),
                "password": schema.get_str(reg, "password", path),
                "email": schema.get_str(reg, "email", path),
                "retry": {"attempts": schema.get_int(retry, "attempts", path + ("retry",), default=3, minimum=1),
                          "when": list(codes)},  # plain: inventory variables refuse LineList
            }
        return result

    def _audit(self, doc):
        return audit_section.read(doc, self.folder)

    # ------------------------------------------------------------------ services
    def _services(self, doc):
        raw = schema.get_map(doc, "services", (), required=True)
        services, instances, owner, prefixes = {}, {}, {}, {}
        for index, (name, svc) in enumerate(raw.items()):
            name = str(name)
            path = ("services", name)
            service_prefix = _variable_prefix(prefixes, (envvars.sanitize(name),), "services", name, path, raw)
            schema.check_map(svc, path, raw, name)
            schema.check_keys(svc, schema.SERVICE_KEYS, path, "service", _SERVICE_HINTS)
            service = {
                "name": name,
                "image": schema.get_str(svc, "image", path, required=True),
                "requires": schema.get_str_list(svc, "requires", path),
                "wants_info": schema.get_str_list(svc, "wants_info", path),
                "omit": schema.get_bool(svc, "omit", path),
                "instances": [],
                "_index": index,
                "_raw": svc,
                "_path": path,
            }
            base_env = {}
            for env_file in self._env_file_list(svc, path):
                base_env.update(env_file)
            base_env.update(schema.get_str_map(svc, "env", path, lists=True))
            service["_env"] = base_env
            service["_ports"] = self._ports(svc, path)
            service["_limits"] = schema.get_map(svc, "limits", path)
            schema.check_keys(service["_limits"], schema.LIMIT_KEYS, path + ("limits",), "limits")
            service["_lifecycle"] = self._lifecycle_raw(svc, path)
            inst_raw = schema.get_map(svc, "instances", path, required=True)
            if not inst_raw:
                fail("must define at least one instance", path + ("instances",), svc, "instances")
            for inst_name, inst in inst_raw.items():
                inst_name = str(inst_name)
                ipath = path + ("instances", inst_name)
                if not CONTAINER_NAME.match(inst_name):
                    fail("%r cannot be a container name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ "
                         "(two characters or more, starting with a letter or digit)" % inst_name,
                         ipath, inst_raw, inst_name)
                if inst_name in owner:
                    fail("duplicate instance name %r (already an instance of service %r)"
                         % (inst_name, owner[inst_name]), ipath, inst_raw, inst_name)
                owner[inst_name] = name
                _variable_prefix(prefixes, service_prefix + (envvars.sanitize(inst_name),), "instances", inst_name,
                                 ipath, inst_raw)
                schema.check_map(inst, ipath, inst_raw, inst_name)
                instances[inst_name] = self._instance(service, inst_name, inst, ipath)
                service["instances"].append(inst_name)
            services[name] = service
        return services, instances

    def _env_file_list(self, parent, path):
        result = []
        for index, name in enumerate(schema.get_str_list(parent, "envfile", path)):
            full = self._path(name)
            if full not in self._env_files:
                try:
                    self._env_files[full] = read_env_file(full, name)
                except MaestroError as exc:
                    listed = parent.get("envfile")
                    if isinstance(listed, list):
                        raise MaestroError(exc.message, path + ("envfile", index), line_of(listed, index))
                    raise MaestroError(exc.message, path + ("envfile",), line_of(parent, "envfile"))
            result.append(self._env_files[full])
        return result

    def _ports(self, parent, path):
        raw = schema.get_map(parent, "ports", path)
        return {str(name): portspec.parse_port(name, spec, path + ("ports", str(name)), line_of(raw, name))
                for name, spec in raw.items()}

    def _lifecycle_raw(self, parent, path):
        raw = schema.get_map(parent, "lifecycle", path)
        result = {}
        for state, checks in raw.items():
            spath = path + ("lifecycle", str(state))
            if state not in schema.LIFECYCLE_STATES:
                fail("unknown lifecycle state %r (known: %s)" % (state, ", ".join(schema.LIFECYCLE_STATES)),
                     spath, raw, state)
            if checks is None:
                continue
            if not isinstance(checks, list):
                fail("must be a list of checks, got %s" % schema.type_name(checks), spath, raw, state)
            for index, check in enumerate(checks):
                cpath = spath + (index,)
                schema.check_map(check, cpath, checks, index)
                kind = check.get("type")
                if kind not in schema.CHECK_KEYS:
                    fail("unknown check type %r (known: %s)" % (kind, ", ".join(sorted(schema.CHECK_KEYS))),
                         cpath + ("type",), check, "type" if "type" in check else None)
                schema.check_keys(check, schema.CHECK_KEYS[kind] | {"type"}, cpath, kind + " check")
                required = schema.CHECK_REQUIRED[kind]
                if check.get(required) is None:
                    fail("%s %s check needs %r" % ("an" if kind == "exec" else "a", kind, required),
                         cpath + (required,), check)
                result.setdefault(state, []).append((check, cpath))
        return result

    def _instance(self, service, name, raw, path):
        schema.check_keys(raw, schema.INSTANCE_KEYS, path, "instance")
        ship = schema.get_str(raw, "ship", path, required=True)
        if ship not in self.ships:
            fail("unknown ship %r (known: %s)" % (ship, ", ".join(sorted(self.ships))),
                 path + ("ship",), raw, "ship")
        image = schema.get_str(raw, "image", path) or service["image"]
        ports = dict(service["_ports"])
        ports.update(self._ports(raw, path))
        net = schema.get_str(raw, "net", path)
        own_env = {}
        for env_file in self._env_file_list(raw, path):
            own_env.update(env_file)
        own_env.update(schema.get_str_map(raw, "env", path, lists=True))
        spec = {
            "name": name,
            "service": service["name"],
            "ship": ship,
            "ship_ip": self.ships[ship]["ip"],
            "environment": self.name,
            "image": image,
            "command": self._command(raw, path),
            "env": None,
            "ports": list(ports.values()),
            "volumes": self._volumes(raw, path),
            "container_volumes": schema.get_str_list(raw, "container_volumes", path),
            "volumes_from": schema.get_str_list(raw, "volumes_from", path),
            "links": schema.get_str_map(raw, "links", path),
            "user": schema.get_str(raw, "username", path),
            "privileged": schema.get_bool(raw, "privileged", path),
            "cap_add": schema.get_str_list(raw, "cap_add", path),
            "cap_drop": schema.get_str_list(raw, "cap_drop", path),
            "security_opt": schema.get_str_list(raw, "security_opt", path),
            "extra_hosts": self._extra_hosts(raw, path),
            "network_mode": net,
            "hostname": None if net else name,
            "restart": self._restart(raw, path),
            "dns": schema.get_str_list(raw, "dns", path),
            "stop_timeout": schema.get_int(raw, "stop_timeout", path, default=DEFAULT_STOP_TIMEOUT, minimum=0),
            "limits": self._limits(service, raw, path),
            "log_driver": schema.get_str(raw, "log_driver", path),
            "log_opt": schema.get_str_map(raw, "log_opt", path),
            "workdir": schema.get_str(raw, "workdir", path),
            "ulimits": self._ulimits(raw, path),
            "labels": self._labels(raw, path),
            "lifecycle": {},
            "level": None,
            "_own_env": own_env,
            "_raw": raw,
            "_path": path,
        }
        checks = {}
        for state, items in service["_lifecycle"].items():
            checks.setdefault(state, []).extend(items)
        for state, items in self._lifecycle_raw(raw, path).items():
            checks.setdefault(state, []).extend(items)
        spec["lifecycle"] = {state: [self._check(spec, check, cpath) for check, cpath in items]
                             for state, items in checks.items()}
        return spec

    def _command(self, raw, path):
        value = raw.get("command")
        if value is None:
            return None
        if isinstance(value, list):
            return schema.get_str_list(raw, "command", path)
        return schema.get_str(raw, "command", path)

    def _volumes(self, raw, path):
        value = schema.get_map(raw, "volumes", path)
        result = []
        for key, target in value.items():
            vpath = path + ("volumes", str(key))
            mode = "rw"
            if isinstance(target, dict):
                unknown = set(target) - {"target", "mode"}
                if unknown:
                    fail("unknown volume key %r (target, mode)" % sorted(unknown)[0], vpath, value, key)
                mode = schema.get_str(target, "mode", vpath, default="rw")
                target = schema.get_str(target, "target", vpath, required=True)
                source = str(key)
            elif isinstance(target, str) and target:
                # Schema 1 reads the plain form the other way round: container: host.
                source, target = (str(key), target) if self.schema >= 2 else (target, str(key))
            else:
                fail("must be a path or {target, mode}, got %s" % schema.type_name(target), vpath, value, key)
            result.append({"source": source, "target": target, "mode": mode})
        seen = {}
        for vol in result:
            if vol["target"] in seen:
                fail("%s and %s are both mounted at %s" % (seen[vol["target"]], vol["source"], vol["target"]),
                     path + ("volumes",), raw, "volumes")
            seen[vol["target"]] = vol["source"]
        return result

    def _extra_hosts(self, raw, path):
        value = schema.get_map(raw, "extra_hosts", path)
        result = {}
        for host, target in value.items():
            hpath = path + ("extra_hosts", str(host))
            if isinstance(target, dict):
                ship = schema.get_str(target, "ship", hpath, required=True)
                if set(target) != {"ship"}:
                    fail("must be an address or {ship: NAME}", hpath, value, host)
                if ship not in self.ships:
                    fail("unknown ship %r (known: %s)" % (ship, ", ".join(sorted(self.ships))),
                         hpath + ("ship",), target, "ship")
                result[str(host)] = self.ships[ship]["ip"]
            elif isinstance(target, str) and target:
                result[str(host)] = target
            else:
                fail("must be an address or {ship: NAME}, got %s" % schema.type_name(target), hpath, value, host)
        return result

    def _restart(self, raw, path):
        value = raw.get("restart")
        rpath = path + ("restart",)
        if value is None or value is False:  # YAML reads a bare `no` as false
            return {"name": "no", "maximum_retry_count": 0}
        if isinstance(value, str):
            name, dummy, retries = value.partition(":")
            if retries and not retries.isdigit():
                fail("invalid retry count %r" % retries, rpath, raw, "restart")
            count = int(retries or 0)
        elif isinstance(value, dict):
            unknown = set(value) - {"name", "retries", "maximum_retry_count"}
            if unknown:
                fail("unknown restart key %r (name, retries)" % sorted(unknown)[0], rpath, raw, "restart")
            name = schema.get_str(value, "name", rpath, required=True)
            count = schema.get_int(value, "retries", rpath, default=None, minimum=0)
            if count is None:
                count = schema.get_int(value, "maximum_retry_count", rpath, default=0, minimum=0)
        else:
            fail("must be a policy name or {name, retries}, got %s" % schema.type_name(value), rpath, raw, "restart")
        if name not in schema.RESTART_POLICIES:
            fail("unknown restart policy %r (known: %s)" % (name, ", ".join(schema.RESTART_POLICIES)),
                 rpath, raw, "restart")
        if count and name != "on-failure":
            fail("a retry count only applies to on-failure", rpath, raw, "restart")
        return {"name": name, "maximum_retry_count": count}

    def _limits(self, service, raw, path):
        own = schema.get_map(raw, "limits", path)
        schema.check_keys(own, schema.LIMIT_KEYS, path + ("limits",), "limits")
        merged = {}
        for source, where in ((service["_limits"], service["_path"]), (own, path)):
            lpath = where + ("limits",)
            if "cpu" in source:
                merged["cpu_shares"] = schema.get_int(source, "cpu", lpath, minimum=0)
            if "memory" in source:
                merged["memory"] = _size(source, "memory", lpath)
            if "swap" in source:
                merged["memswap"] = _size(source, "swap", lpath)
        return {"cpu_shares": merged.get("cpu_shares"), "memory": merged.get("memory"),
                "memswap": merged.get("memswap")}

    def _ulimits(self, raw, path):
        value = schema.get_map(raw, "ulimits", path)
        result = []
        for name, limit in value.items():
            upath = path + ("ulimits", str(name))
            if isinstance(limit, dict):
                unknown = set(limit) - {"soft", "hard"}
                if unknown:
                    fail("unknown ulimit key %r (soft, hard)" % sorted(unknown)[0], upath, value, name)
                soft = schema.get_int(limit, "soft", upath)
                hard = schema.get_int(limit, "hard", upath)
                if soft is None and hard is None:
                    fail("needs soft and/or hard", upath, value, name)
                soft = hard if soft is None else soft
                hard = soft if hard is None else hard
            else:
                soft = hard = schema.get_int(value, name, path + ("ulimits",))
            if soft > hard:
                fail("soft limit %d is above the hard limit %d" % (soft, hard), upath, value, name)
            result.append({"name": str(name), "soft": soft, "hard": hard})
        return result

    def _labels(self, raw, path):
        value = raw.get("labels")
        if value is None:
            return {}
        if isinstance(value, list):
            return {label: "" for label in schema.get_str_list(raw, "labels", path)}
        if isinstance(value, dict):
            return schema.get_str_map(raw, "labels", path)
        fail("must be a list or a mapping, got %s" % schema.type_name(value), path + ("labels",), raw, "labels")

    def _check(self, spec, check, cpath):
        kind = check["type"]
        if kind == "sleep":
            return {"type": "sleep", "wait": schema.get_number(check, "wait", cpath)}
        if kind in ("exec", "rexec"):
            return {"type": kind, "command": schema.get_str(check, "command", cpath, required=True),
                    "attempts": schema.get_int(check, "attempts", cpath, default=EXEC_CHECK_ATTEMPTS, minimum=1)}
        port = self._check_port(spec, check, cpath, named_only=(kind == "tcp"))
        if kind == "tcp":
            return {"type": "tcp", "port": port, "host": spec["ship_ip"],
                    "max_wait": schema.get_int(check, "max_wait", cpath, default=CHECK_MAX_WAIT["tcp"], minimum=0)}
        match = schema.get_str(check, "match_regex", cpath)
        if match is not None:
            try:
                re.compile(match)
            except re.error as exc:
                fail("invalid regular expression: %s" % exc, cpath + ("match_regex",), check, "match_regex")
        return {
            "type": "http", "port": port,
            "host": schema.get_str(check, "host", cpath, default=spec["ship_ip"]),
            "path": schema.get_str(check, "path", cpath, default="/"),
            "scheme": schema.get_str(check, "scheme", cpath, default="http"),
            "method": schema.get_str(check, "method", cpath, default="GET").upper(),
            "match_regex": match,
            "max_wait": schema.get_int(check, "max_wait", cpath, default=CHECK_MAX_WAIT["http"], minimum=0),
        }

    def _check_port(self, spec, check, cpath, named_only):
        port = check["port"]
        named = {p["name"]: p for p in spec["ports"]}
        if str(port) in named:
            return portspec.span(named[str(port)]["external"])[0]
        if not named_only and isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
            return port
        fail("unknown port %r for instance %s (known: %s)" % (port, spec["name"], ", ".join(sorted(named)) or "none"),
             cpath + ("port",), check, "port")

    # ------------------------------------------------------------------ references
    def _check_references(self, services, instances):
        for svc in services.values():
            for key in ("requires", "wants_info"):
                for dep in svc[key]:
                    if dep not in services:
                        raw = svc["_raw"]
                        fail("unknown service %r (known: %s)" % (dep, ", ".join(sorted(services))),
                             svc["_path"] + (key,), raw, key)
        taken = {}
        for inst in instances.values():
            raw = inst["_raw"]
            for key in ("volumes_from", "links"):
                for target in inst[key]:
                    if target not in instances:
                        fail("unknown instance %r" % target, inst["_path"] + (key,), raw, key)
                    if instances[target]["ship"] != inst["ship"]:
                        fail("%s runs on ship %s, not on %s (%s must be on the same ship)"
                             % (target, instances[target]["ship"], inst["ship"], key),
                             inst["_path"] + (key,), raw, key)
                    if target == inst["name"]:
                        fail("an instance cannot use itself", inst["_path"] + (key,), raw, key)
            mine = {v["target"] for v in inst["volumes"]}
            for target in inst["volumes_from"]:
                other = instances[target]
                theirs = {v["target"] for v in other["volumes"]} | set(other["container_volumes"])
                clash = sorted(mine & theirs)
                if clash:
                    fail("%s is also a volume of %s (volumes_from)" % (clash[0], target),
                         inst["_path"] + ("volumes",), raw, "volumes")
            if inst["network_mode"] == "host":
                continue
            # Index of the host ports taken so far: (ship, protocol, number) -> [(host_ip, instance,
            # port)], so each port is checked in time proportional to its width, not to the ship's
            # port count (the pairwise check was quadratic: 1 s for 500 instances).
            for port in inst["ports"]:
                for number in portspec.host_numbers(port):
                    for host_ip, other, other_port in taken.get((inst["ship"], port["protocol"], number), ()):
                        if portspec.same_address(host_ip, port["host_ip"]):
                            fail("host port %s/%s is already used by %s (port %s) on ship %s"
                                 % (port["external"], port["protocol"], other, other_port, inst["ship"]),
                                 inst["_path"] + ("ports", port["name"]), raw.get("ports") or raw, port["name"])
            for port in inst["ports"]:
                for number in portspec.host_numbers(port):
                    taken.setdefault((inst["ship"], port["protocol"], number), []).append(
                        (port["host_ip"], inst["name"], port["name"]))

    # ------------------------------------------------------------------ order
    def _order(self, services, instances):
        names = list(services)
        hard, inst_edges = ordering.hard_edges(services, instances)
        cycle = ordering.find_cycle(names, hard)
        if cycle:
            svc = services[cycle[0]]
            key = "requires" if cycle[1] in svc["requires"] else "instances"
            fail("dependency cycle: %s" % " → ".join(cycle), svc["_path"] + (key,), svc["_raw"], key)
        cycle = ordering.find_cycle(list(instances), inst_edges)
        if cycle:
            inst = instances[cycle[0]]
            fail("volumes_from/links cycle: %s" % " → ".join(cycle), inst["_path"], inst["_raw"])
        edges = ordering.with_soft_edges(names, hard, {n: s["wants_info"] for n, s in services.items()})
        service_level = ordering.levels(names, edges)
        # Instances: the service's level, then within a service after what they take volumes from.
        for name, deps in inst_edges.items():
            for dep_service in edges[instances[name]["service"]]:
                deps.extend(services[dep_service]["instances"])
        inst_level = ordering.levels(list(instances), inst_edges)
        for name, inst in instances.items():
            inst["level"] = inst_level[name]
        levels = []
        for name in sorted(instances, key=lambda n: (inst_level[n], services[instances[n]["service"]]["_index"],
                                                     n)):
            level = inst_level[name]
            while len(levels) <= level:
                levels.append({"level": len(levels), "services": [], "instances": []})
            entry = levels[level]
            if instances[name]["service"] not in entry["services"]:
                entry["services"].append(instances[name]["service"])
            entry["instances"].append(name)
        return service_level, [lvl for lvl in levels if lvl["instances"]]

    # ------------------------------------------------------------------ variables
    def _variables(self, services, instances):
        requires = {name: svc["requires"] for name, svc in services.items()}
        links = {}

        def link_vars(name, internal):
            key = (name, internal)
            if key not in links:
                links[key] = envvars.link_variables(
                    name, [instances[i] for i in services[name]["instances"]], internal)
            return links[key]

        for svc in services.values():
            deps = ordering.closure([svc["name"]], requires) | set(svc["wants_info"])
            deps.discard(svc["name"])
            dep_vars = {}
            for dep in sorted(deps, key=lambda d: services[d]["_index"]):
                dep_vars.update(link_vars(dep, False))
            own_vars = link_vars(svc["name"], True)
            for inst_name in svc["instances"]:
                inst = instances[inst_name]
                base = envvars.base_variables(self.name, svc["name"], inst_name, inst["ship_ip"], inst["image"])
                env = dict(svc["_env"])
                env.update(base["service"])
                env.update(inst.pop("_own_env"))
                env.update(base["instance"])
                env.update(own_vars)
                env.update(dep_vars)
                inst["env"] = env
                del inst["_raw"], inst["_path"]
        for svc in services.values():
            for key in ("_env", "_ports", "_limits", "_lifecycle", "_raw", "_path"):
                svc.pop(key, None)
