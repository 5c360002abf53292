"""The bad-input corpus: every environment file in tests/unit/fixtures/bad/ (``*.yaml``,
and ``*.maestro`` for those that are not even valid YAML, see fixtures/README.md) must
fail to load with exactly the one-line message in ERRORS (``FILE:LINE: key.path: message``).

Files are loaded by a relative name from inside the folder, so the expected text
reads ``name.yaml:LINE: ...``; the only absolute path a message may hold (the
folder an include was looked for in) is shown as ``.``.
"""
# Each expected message is one exact line: long ones are split with implicit
# string concatenation only to stay within ansible-test's 160 columns.

import os

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment

BAD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "bad")

ERRORS = {
    # --- YAML and templating
    "yaml_syntax.maestro": "yaml_syntax.maestro:4: YAML syntax error: while parsing a flow mapping did not find expected ',' or '}'",
    "jinja_syntax.yaml": "jinja_syntax.yaml:6: template syntax error: unexpected '}'",
    "jinja_include_missing.maestro": "jinja_include_missing.maestro:4: template include not found: ships-extra.yaml (looked in .)",
    "duplicate_top_key.maestro": "duplicate_top_key.maestro:4: name: duplicate key 'name' (first defined on line 1)",
    "duplicate_service.maestro": "duplicate_service.maestro:9: services.web: duplicate key 'web' (first defined on line 5)",
    "duplicate_instance.maestro": "duplicate_instance.maestro:11: services.web.instances.web-1: duplicate key 'web-1' (first defined on line 9)",
    "duplicate_env_key.maestro": "duplicate_env_key.maestro:10: services.web.env.MODE: duplicate key 'MODE' (first defined on line 8)",
    "not_a_mapping.yaml": "not_a_mapping.yaml:1: an environment file must be a mapping, got a list",
    # --- top level
    "missing_name.yaml": "missing_name.yaml:2: name: environment name is missing",
    "name_empty.yaml": "name_empty.yaml:1: name: environment name is missing",
    "missing_ships.yaml": "missing_ships.yaml:1: ships: is required",
    "missing_services.yaml": "missing_services.yaml:1: services: is required",
    "schema_unsupported.yaml": "schema_unsupported.yaml:2: __maestro.schema: unsupported schema 3 (1 or 2)",
    "registry_missing_url.yaml": "registry_missing_url.yaml:4: registries.quay.io.registry: is required",
    "audit_unknown_type.yaml": "audit_unknown_type.yaml:5: audit.1.type: unknown audit type 'irc' (known: exec, hipchat, http, log, slack)",
    "audit_bad_level.yaml": "audit_bad_level.yaml:6: audit.0.level: unknown level 'verbose' (known: debug, info, success, error)",
    # --- ships
    "empty_ships.yaml": "empty_ships.yaml:2: ships: must define at least one ship",
    "ships_list.yaml": "ships_list.yaml:3: ships: must be a mapping, got a list",
    "ship_missing_ip.yaml": "ship_missing_ip.yaml:5: ships.vm2.ip: is required",
    "ship_unknown_key.yaml": "ship_unknown_key.yaml:5: ships.vm1.docker_prot: unknown ship key 'docker_prot' (did you mean 'docker_port'?)",
    "ship_defaults_ip.yaml": "ship_defaults_ip.yaml:4: ship_defaults.ip: unknown ship_defaults key 'ip' (set it on each ship, not in ship_defaults)",
    "ssh_tunnel_missing_user.yaml": "ssh_tunnel_missing_user.yaml:6: ships.vm1.ssh_tunnel.user: is required",
    "ship_api_version_number.yaml": "ship_api_version_number.yaml:5: ships.vm1.api_version: quote it: YAML reads 1.40 as the number 1.4",
    "ship_api_version_bad.yaml": (
        "ship_api_version_bad.yaml:3: ship_defaults.api_version: must be a Docker API version "
        "such as \"1.41\", or auto; got 'v1.41'"
    ),
    "ship_timeout_zero.yaml": "ship_timeout_zero.yaml:3: ship_defaults.timeout: must be more than 0 seconds",
    "ship_api_version_old.yaml": "ship_api_version_old.yaml:5: ships.vm1.api_version: the docker SDK speaks API 1.24 and later; got 1.18",
    # --- services and instances: shape and keys
    "service_not_mapping.yaml": "service_not_mapping.yaml:5: services.web: must be a mapping, got a string",
    "service_missing_image.yaml": "service_missing_image.yaml:6: services.web.image: is required",
    "service_no_instances.yaml": "service_no_instances.yaml:7: services.web.instances: must define at least one instance",
    "service_unknown_key.yaml": "service_unknown_key.yaml:7: services.web.require: unknown service key 'require' (did you mean 'requires'?)",
    "service_volumes.yaml": "service_volumes.yaml:8: services.web.volumes: unknown service key 'volumes' (an instance setting: put it under each instance)",
    "instance_not_mapping.yaml": "instance_not_mapping.yaml:8: services.web.instances.web-1: must be a mapping, got a string",
    "instance_missing_ship.yaml": "instance_missing_ship.yaml:9: services.web.instances.web-1.ship: is required",
    "instance_unknown_key.yaml": (
        "instance_unknown_key.yaml:10: services.web.instances.web-1.privilged: unknown "
        "instance key 'privilged' (did you mean 'privileged'?)"
    ),
    "instance_name_space.yaml": (
        "instance_name_space.yaml:8: services.web.instances.web 1: 'web 1' cannot be a container "
        "name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters or more, starting with a "
        "letter or digit)"
    ),
    "instance_name_one_char.yaml": (
        "instance_name_one_char.yaml:8: services.web.instances.w: 'w' cannot be a container "
        "name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters or more, starting with "
        "a letter or digit)"
    ),
    "duplicate_instance_across_services.yaml": (
        "duplicate_instance_across_services.yaml:13: "
        "services.db.instances.node-1: duplicate instance name 'node-1' "
        "(already an instance of service 'web')"
    ),
    "service_names_collide.yaml": (
        "service_names_collide.yaml:10: services.log.1: services 'log_1' and 'log.1' both give "
        "the variables LOG_1_* (MaestroNG turns every non-word character into _); rename one"
    ),
    "instance_names_collide.yaml": (
        "instance_names_collide.yaml:9: services.zk.instances.zk.1: instances 'zk-1' and 'zk.1' "
        "both give the variables ZK_ZK_1_* (MaestroNG turns every non-word character into _); "
        "rename one"
    ),
    # --- wrong types
    "privileged_string.yaml": "privileged_string.yaml:10: services.web.instances.web-1.privileged: must be true or false, got 'yes'",
    "stop_timeout_string.yaml": "stop_timeout_string.yaml:10: services.web.instances.web-1.stop_timeout: must be an integer, got 'ten'",
    "ports_list.yaml": "ports_list.yaml:8: services.web.ports: must be a mapping, got a list",
    "env_list.yaml": "env_list.yaml:11: services.web.instances.web-1.env: must be a mapping, got a list",
    "env_nested_mapping.yaml": "env_nested_mapping.yaml:10: services.web.env.JVM: must be a string or a list, got a mapping",
    "requires_mapping.yaml": "requires_mapping.yaml:7: services.web.requires: must be a string or a list of strings, got a mapping",
    "labels_string.yaml": "labels_string.yaml:10: services.web.instances.web-1.labels: must be a list or a mapping, got a number",
    # --- references
    "unknown_ship.yaml": "unknown_ship.yaml:15: services.kafka.instances.kafka-1.ship: unknown ship 'vm9' (known: vm1, vm2)",
    "unknown_required_service.yaml": "unknown_required_service.yaml:11: services.web.requires: unknown service 'cache' (known: db, web)",
    "unknown_wants_info.yaml": "unknown_wants_info.yaml:7: services.web.wants_info: unknown service 'metrics' (known: web)",
    "cycle.yaml": "cycle.yaml:7: services.a.requires: dependency cycle: a → b → c → a",
    "extra_hosts_unknown_ship.yaml": "extra_hosts_unknown_ship.yaml:13: services.web.instances.web-1.extra_hosts.db.ship: unknown ship 'vm3' (known: vm1, vm2)",
    "links_unknown.yaml": "links_unknown.yaml:11: services.web.instances.web-1.links: unknown instance 'db-1'",
    "links_other_ship.yaml": "links_other_ship.yaml:15: services.web.instances.web-1.links: db-1 runs on ship vm1, not on vm2 (links must be on the same ship)",
    # --- volumes
    "volumes_from_unknown.yaml": "volumes_from_unknown.yaml:12: services.app.instances.app-1.volumes_from: unknown instance 'data-1'",
    "volumes_from_other_ship.yaml": (
        "volumes_from_other_ship.yaml:19: services.app.instances.app-1.volumes_from: "
        "data-1 runs on ship vm1, not on vm2 (volumes_from must be on the same ship)"
    ),
    "volumes_from_conflict.yaml": "volumes_from_conflict.yaml:18: services.store.instances.store-2.volumes: /cache is also a volume of store-1 (volumes_from)",
    "volumes_from_self.yaml": "volumes_from_self.yaml:10: services.app.instances.app-1.volumes_from: an instance cannot use itself",
    "volume_same_target.yaml": "volume_same_target.yaml:13: services.app.instances.app-1.volumes: /srv/one and /srv/two are both mounted at /data",
    "volume_bad_spec.yaml": "volume_bad_spec.yaml:13: services.app.instances.app-1.volumes./srv/data.target: is required",
    # --- ports
    "port_protocol_mismatch.yaml": "port_protocol_mismatch.yaml:8: services.dns.ports.dns: port protocols do not match (tcp vs udp) in '53/tcp:5353/udp'",
    "port_out_of_range.yaml": "port_out_of_range.yaml:11: services.web.instances.web-1.ports.http: port 70000 is out of range 1-65535",
    "port_range_length.yaml": "port_range_length.yaml:8: services.media.ports.rtp: port ranges '10000-10010' and '20000-20005' differ in length",
    "port_garbage.yaml": "port_garbage.yaml:8: services.web.ports.http: invalid port 'eighty' (expected PORT, PORT/PROTO or FIRST-LAST)",
    "port_unknown_key.yaml": "port_unknown_key.yaml:9: services.web.ports.http: unknown port key 'internal' (exposed, external)",
    "port_clash.yaml": (
        "port_clash.yaml:17: services.admin.instances.admin-1.ports.ui: host port 8000-8100/tcp is "
        "already used by web-1 (port http) on ship vm1"
    ),
    # --- container settings
    "restart_bad_policy.yaml": (
        "restart_bad_policy.yaml:10: services.web.instances.web-1.restart: unknown restart "
        "policy 'sometimes' (known: no, always, on-failure, unless-stopped)"
    ),
    "restart_bad_retries.yaml": "restart_bad_retries.yaml:10: services.web.instances.web-1.restart: invalid retry count 'three'",
    "restart_retries_always.yaml": "restart_retries_always.yaml:10: services.web.instances.web-1.restart: a retry count only applies to on-failure",
    "limits_bad_size.yaml": "limits_bad_size.yaml:8: services.web.limits.memory: must be a size in bytes or with a k/m/g suffix, got '2 gigs'",
    "limits_unknown_key.yaml": "limits_unknown_key.yaml:11: services.web.instances.web-1.limits.memroy: unknown limits key 'memroy' (did you mean 'memory'?)",
    "ulimits_bad.yaml": "ulimits_bad.yaml:12: services.web.instances.web-1.ulimits.nofile: soft limit 65536 is above the hard limit 1024",
    "ulimits_string.yaml": "ulimits_string.yaml:11: services.web.instances.web-1.ulimits.nofile: must be an integer, got 'unlimited'",
    # --- lifecycle checks
    "lifecycle_unknown_state.yaml": (
        "lifecycle_unknown_state.yaml:10: services.web.lifecycle.started: unknown "
        "lifecycle state 'started' (known: pre-start, running, pre-stop, stopped)"
    ),
    "lifecycle_unknown_type.yaml": (
        "lifecycle_unknown_type.yaml:11: services.web.lifecycle.running.1.type: unknown "
        "check type 'ping' (known: exec, http, rexec, sleep, tcp)"
    ),
    "lifecycle_missing_command.yaml": (
        "lifecycle_missing_command.yaml:12: "
        "services.web.instances.web-1.lifecycle.running.0.command: an exec check needs "
        "'command'"
    ),
    "lifecycle_tcp_unknown_port.yaml": (
        "lifecycle_tcp_unknown_port.yaml:11: services.web.lifecycle.running.0.port: "
        "unknown port 'https' for instance web-1 (known: http)"
    ),
    "lifecycle_bad_regex.yaml": (
        "lifecycle_bad_regex.yaml:15: "
        "services.web.instances.web-1.lifecycle.running.0.match_regex: invalid regular "
        "expression: missing ), unterminated subpattern at position 2"
    ),
    # --- env files
    "envfile_missing.yaml": "envfile_missing.yaml:7: services.web.envfile: cannot read env file missing.env: No such file or directory",
    "envfile_bad_line.yaml": "envfile_bad_line.yaml:12: services.web.instances.web-1.envfile.1: env file bad_line.env:4: expected KEY=value, got 'JUST_A_WORD'",
    # --- what Docker refuses of a container's settings (model/docker_rules.py)
    "docker_image_uppercase.yaml": (
        "docker_image_uppercase.yaml:7: services.web.image: invalid image reference 'Maestro-Test/BusyBox:latest': the "
        "repository must be lowercase (maestro-test/busybox)"
    ),
    "docker_image_bad_tag.yaml": (
        "docker_image_bad_tag.yaml:11: services.web.instances.web-1.image: invalid image reference 'busybox:-rc1': a "
        "tag is 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"
    ),
    "docker_image_bad_digest.yaml": (
        "docker_image_bad_digest.yaml:7: services.web.image: invalid image reference 'busybox@sha256:abc123': a digest "
        "is sha256: and 64 lowercase hex digits (or sha384, sha512)"
    ),
    "docker_image_bad_registry.yaml": (
        "docker_image_bad_registry.yaml:7: services.web.image: invalid image reference "
        "'registry_1.example.com:5000/app:1': 'registry_1.example.com:5000' is not a registry host[:port]"
    ),
    "docker_volume_relative_source.yaml": (
        "docker_volume_relative_source.yaml:14: services.web.instances.web-1.volumes.data/db: 'data/db' is neither an "
        "absolute path on the ship nor a volume name (two or more of [a-zA-Z0-9_.-], starting with a letter or digit)"
    ),
    "docker_volume_relative_target.yaml": (
        "docker_volume_relative_target.yaml:14: services.web.instances.web-1.volumes./srv/db: the container path "
        "'var/lib/db' is not absolute (Docker needs one here)"
    ),
    "docker_volume_root_target.yaml": "docker_volume_root_target.yaml:14: services.web.instances.web-1.volumes./srv/root: a volume cannot be mounted at /",
    "docker_volume_two_modes.yaml": (
        "docker_volume_two_modes.yaml:14: services.web.instances.web-1.volumes./srv/db: volume mode 'rw,ro' sets rw/ro "
        "more than once"
    ),
    "docker_volume_nocopy_bind.yaml": (
        "docker_volume_nocopy_bind.yaml:14: services.web.instances.web-1.volumes./srv/db: nocopy only applies to a "
        "named volume, not to a path on the ship"
    ),
    "docker_container_volume_relative.yaml": (
        "docker_container_volume_relative.yaml:11: services.web.instances.web-1.container_volumes.1: the container "
        "path 'tmp' is not absolute (Docker needs one here)"
    ),
    "docker_workdir_relative.yaml": (
        "docker_workdir_relative.yaml:11: services.web.instances.web-1.workdir: 'app/src' is not an absolute path "
        "(Docker needs one here)"
    ),
    "docker_memory_too_small.yaml": "docker_memory_too_small.yaml:8: services.web.limits.memory: 1024 bytes is below Docker's minimum of 6m",
    "docker_swap_below_memory.yaml": (
        "docker_swap_below_memory.yaml:12: services.web.instances.web-1.limits.swap: 268435456 bytes is below memory "
        "(536870912): swap is memory plus swap"
    ),
    "docker_swap_without_memory.yaml": (
        "docker_swap_without_memory.yaml:11: services.web.instances.web-1.limits.swap: needs a memory limit too (swap "
        "is memory plus swap)"
    ),
    "docker_cpu_shares_out_of_range.yaml": (
        "docker_cpu_shares_out_of_range.yaml:11: services.web.instances.web-1.limits.cpu: 1 CPU shares is outside 2 to "
        "262144 (1024 is the default weight)"
    ),
    "docker_ulimit_unknown.yaml": (
        "docker_ulimit_unknown.yaml:12: services.web.instances.web-1.ulimits.nofiles: unknown ulimit 'nofiles' (known: "
        "core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)"
    ),
    "docker_cap_unknown.yaml": (
        "docker_cap_unknown.yaml:11: services.web.instances.web-1.cap_add.1: unknown capability 'SYS_NETWORK' "
        "(Linux's, with or without CAP_, or ALL)"
    ),
    "docker_cap_all_prefixed.yaml": (
        "docker_cap_all_prefixed.yaml:11: services.web.instances.web-1.cap_drop: unknown capability 'CAP_ALL' "
        "(Linux's, with or without CAP_, or ALL)"
    ),
    "docker_security_opt_seccomp_file.yaml": (
        "docker_security_opt_seccomp_file.yaml:11: services.web.instances.web-1.security_opt.0: "
        "seccomp=/etc/docker/seccomp.json: the Engine API takes unconfined, builtin or the profile's JSON itself, not a file"
    ),
    "docker_security_opt_unknown.yaml": (
        "docker_security_opt_unknown.yaml:11: services.web.instances.web-1.security_opt.1: unknown security option "
        "'systempaths=unconfined' (label=..., apparmor=PROFILE, seccomp=unconfined|JSON or no-new-privileges[=true|false])"
    ),
    "docker_dns_not_ip.yaml": "docker_dns_not_ip.yaml:11: services.web.instances.web-1.dns.1: 'dns.example.test' is not an IP address",
    "docker_extra_hosts_not_ip.yaml": (
        "docker_extra_hosts_not_ip.yaml:12: services.web.instances.web-1.extra_hosts.db: 'db.example.test' is not an "
        "IP address or host-gateway"
    ),
    "docker_extra_hosts_ship_name.yaml": (
        "docker_extra_hosts_ship_name.yaml:12: services.web.instances.web-1.extra_hosts.peer: 'docker2.example.test' "
        "is not an IP address or host-gateway"
    ),
    "docker_net_container_empty.yaml": "docker_net_container_empty.yaml:11: services.web.instances.web-1.net: container: needs a container's name",
    "docker_net_container_dns.yaml": (
        "docker_net_container_dns.yaml:12: services.web.instances.web-1.dns: conflicts with net: container:web-proxy "
        "(the container uses that one's network, and its dns)"
    ),
    "docker_log_opt_unknown.yaml": (
        "docker_log_opt_unknown.yaml:12: services.web.instances.web-1.log_opt.max_size: unknown option of the "
        "json-file log driver (known: max-size, max-file, compress, tag, labels, labels-regex, env, env-regex, "
        "mode, max-buffer-size, cache-disabled, cache-max-size, cache-max-file, cache-compress)"
    ),
    "docker_log_opt_buffer_blocking.yaml": (
        "docker_log_opt_buffer_blocking.yaml:12: services.web.instances.web-1.log_opt.max-buffer-size: only applies "
        "with mode: non-blocking"
    ),
    "docker_env_name_equals.yaml": "docker_env_name_equals.yaml:9: services.web.env.MODE=fast: 'MODE=fast' cannot be a variable name (not empty, no '=')",
    "docker_label_own.yaml": (
        "docker_label_own.yaml:11: services.web.instances.web-1.labels.maestro.ng.service: 'maestro.ng.service' is one "
        "of the collection's own labels (maestro.ng.*)"
    ),
    "docker_net_host_links.yaml": (
        "docker_net_host_links.yaml:16: services.web.instances.web-1.links: conflicts with net: host (links need a "
        "container network)"
    ),
    # --- healthcheck (an extension: model/readiness_section.py)
    "healthcheck_bad_duration.yaml": (
        "healthcheck_bad_duration.yaml:7: services.db.healthcheck.interval: "
        "must be a duration such as 30s, 1m30s or 500ms, got '30 seconds'"
    ),
    "healthcheck_bad_test.yaml": (
        "healthcheck_bad_test.yaml:7: services.db.healthcheck.test: a list test starts with CMD, CMD-SHELL or NONE "
        "(or give a string, run by the shell), got ['RUN', 'pg_isready']"
    ),
    "healthcheck_disable_with_test.yaml": "healthcheck_disable_with_test.yaml:7: services.db.healthcheck: disable: true takes no other setting",
    "oneshot_restart_always.yaml": (
        "oneshot_restart_always.yaml:11: services.migrate.instances.migrate-1.restart: "
        "restart: always would run a oneshot service's container again and again (on-failure or no)"
    ),
    "oneshot_bad_timeout.yaml": (
        "oneshot_bad_timeout.yaml:7: services.migrate.oneshot.timeout: must be a duration such as 10m or 90s, got 'forever'"
    ),
}


def load_bad(name):
    """Load fixtures/bad/NAME from inside that folder; return the error text."""
    cwd = os.getcwd()
    os.chdir(BAD)
    try:
        with pytest.raises(MaestroError) as info:
            environment.load(name, environ={})
    finally:
        os.chdir(cwd)
    return str(info.value).replace(BAD + os.sep, "").replace(BAD, ".")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input_message(name):
    assert load_bad(name) == ERRORS[name]


def test_every_error_is_one_line():
    assert all("\n" not in message for message in ERRORS.values())


def test_corpus_and_table_match():
    """Every environment file in the folder is a case, and every case has its file."""
    files = {name for name in os.listdir(BAD) if name.endswith((".yaml", ".maestro"))}
    assert files == set(ERRORS)
    assert len(ERRORS) >= 100


def test_error_from_absolute_path_names_the_path():
    path = os.path.join(BAD, "unknown_ship.yaml")
    with pytest.raises(MaestroError) as info:
        environment.load(path, environ={})
    assert str(info.value) == path + ERRORS["unknown_ship.yaml"][len("unknown_ship.yaml") :]
    assert info.value.file == path
    assert info.value.line == 15
    assert info.value.key == "services.kafka.instances.kafka-1.ship"
    assert info.value.message == "unknown ship 'vm9' (known: vm1, vm2)"


def test_missing_environment_file():
    with pytest.raises(MaestroError) as info:
        environment.load(os.path.join(BAD, "no-such-file.yaml"))
    assert (
        str(info.value)
        == os.path.join(BAD, "no-such-file.yaml") + ": cannot read environment file: No such file or directory"
    )
