"""Environment files shared by the model's tests."""


def one_instance(extra, schema=2, service_extra=""):
    """An environment with one service `app` and one instance `app-1` on `vm1`."""
    lines = ["        " + line for line in extra.strip("\n").splitlines()] if extra.strip() else []
    service_lines = ["    " + line for line in service_extra.strip("\n").splitlines()] if service_extra.strip() else []
    return (
        "\n".join(
            [
                "__maestro: {schema: %d}" % schema,
                "name: settings",
                "ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}",
                "services:",
                "  app:",
                "    image: app:1",
            ]
            + service_lines
            + [
                "    instances:",
                "      app-1:",
                "        ship: vm1",
            ]
            + lines
        )
        + "\n"
    )


# Ships, a registry with a password and services under an ``audit`` section (audited()).
AUDITED_REST = """\
ships: {vm1: {ip: 10.0.0.1}}
registries:
  private: {registry: "https://reg.example.com", username: bot, password: hunter2secret}
services:
  zookeeper: {image: x, instances: {zk-1: {ship: vm1}}}
  kafka: {image: x, requires: [zookeeper], instances: {kafka-1: {ship: vm1}, kafka-2: {ship: vm1}}}
"""

# An environment with one registry, `lab`, whose settings fill the %s (indented by four).
ONE_REGISTRY = """\
name: r
registries:
  lab:
%s
ships: {vm1: {ip: 10.0.0.1}}
services:
  s: {image: x, instances: {s-1: {ship: vm1}}}
"""


def audited(load_env, notifiers):
    """Environment `audited` (AUDITED_REST) whose audit section lists ``notifiers``."""
    return load_env("name: audited\naudit:\n" + "".join("  - %s\n" % n for n in notifiers) + AUDITED_REST)
