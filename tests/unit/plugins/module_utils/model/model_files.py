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
