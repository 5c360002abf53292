# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MaestroNG's guest functions, for scripts running inside containers.

A single file with no dependency beyond the Python 3 standard library: copy it
into an image (``COPY guestutils.py /usr/local/lib/python3/``) and

    from guestutils import *
    zk = ','.join(get_node_list('zookeeper', ports=['client']))

Every function reads the variables maestro.ng (like MaestroNG) gives each
container: ``MAESTRO_ENVIRONMENT_NAME``, ``SERVICE_NAME``, ``CONTAINER_NAME``,
``CONTAINER_HOST_ADDRESS``, ``<S>_INSTANCES``, ``<S>_<I>_HOST``,
``<S>_<I>_<P>_PORT`` and ``<S>_<I>_<P>_INTERNAL_PORT``, where ``<X>`` is the name
with every non-word character replaced by ``_``, upper-cased.

It also runs as a command, for shell entry points:

    python3 guestutils.py get_node_list zookeeper --ports client --minimum 3
    python3 guestutils.py get_port broker 9092

Lists are printed comma-separated; a missing value prints an error on stderr and
exits with status 1.
"""

import os
import re
import socket
import sys

__all__ = [
    "MaestroEnvironmentError",
    "get_environment_name",
    "get_service_name",
    "get_container_name",
    "get_container_host_address",
    "get_container_internal_address",
    "get_port",
    "get_node_list",
    "get_specific_host",
    "get_specific_port",
    "get_specific_exposed_port",
]


class MaestroEnvironmentError(Exception):
    """A variable the function needs is not in the container's environment."""


def _var(*parts):
    """The variable name for parts joined by '_': non-word characters -> '_', upper-cased."""
    return re.sub(r"[^\w]", "_", "_".join(str(p) for p in parts)).upper()


def _required(name, what):
    value = os.environ.get(name)
    if value is None:
        raise MaestroEnvironmentError("%s is not defined (no %s in the environment)" % (what, name))
    return value


def _as_port(value):
    """'9092' -> 9092; a range such as '1234-1236' stays a string."""
    value = value.strip()
    return int(value) if value.isdigit() else value


def get_environment_name():
    """The environment's name (the file's top-level ``name``); 'local' when not set."""
    return os.environ.get("MAESTRO_ENVIRONMENT_NAME", "local")


def get_service_name():
    """The name of the service this container belongs to."""
    return _required("SERVICE_NAME", "the service name")


def get_container_name():
    """The name of this container (its instance name)."""
    return _required("CONTAINER_NAME", "the container name")


def get_container_host_address(as_ip_address=False):
    """The address (the ship's ``ip``) of the host running this container.

    With ``as_ip_address=True`` a host name is resolved to an IPv4 address.
    """
    address = _required("CONTAINER_HOST_ADDRESS", "the container host address")
    if as_ip_address:
        return socket.gethostbyname(address)
    return address


def get_container_internal_address(interface="eth0"):
    """The container's own (Docker-assigned) IPv4 address, the one of ``interface``."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        import fcntl
        import struct
        siocgifaddr = 0x8915
        packed = fcntl.ioctl(probe.fileno(), siocgifaddr, struct.pack("256s", interface.encode()[:15]))
        return socket.inet_ntoa(packed[20:24])
    except (ImportError, OSError) as e:
        raise MaestroEnvironmentError("no IPv4 address on interface %s: %s" % (interface, e))
    finally:
        probe.close()


def _port(service, container, port, suffix, default):
    name = _var(service, container, port, suffix)
    value = os.environ.get(name)
    if value is None:
        if default is not None:
            return default
        raise MaestroEnvironmentError(
            "no port %r for container %s of service %s (no %s in the environment)"
            % (port, container, service, name))
    return _as_port(value)


def get_specific_host(service, container):
    """The address of the host running ``container`` of ``service``."""
    return _required(_var(service, container, "HOST"),
                     "the host of container %s of service %s" % (container, service))


def get_specific_port(service, container, port, default=None):
    """The external (host) port number of the named ``port`` of ``container``."""
    return _port(service, container, port, "PORT", default)


def get_specific_exposed_port(service, container, port, default=None):
    """The exposed (in-container) port number of the named ``port`` of ``container``."""
    return _port(service, container, port, "INTERNAL_PORT", default)


def get_port(name, default=None):
    """The exposed (in-container) port number of this container's named port ``name``.

    Without a default, a port that is not defined raises MaestroEnvironmentError.
    """
    return get_specific_exposed_port(get_service_name(), get_container_name(), name, default)


def _instances(service):
    """The instance names of ``service``: its <S>_INSTANCES variable, or else found
    from the <S>_<I>_HOST variables (sorted)."""
    listed = os.environ.get(_var(service, "INSTANCES"))
    if listed is not None:
        return [name.strip() for name in listed.split(",") if name.strip()]
    prefix = _var(service) + "_"
    found = []
    for key in sorted(os.environ):
        if key.startswith(prefix) and key.endswith("_HOST") and len(key) > len(prefix) + len("_HOST"):
            found.append(key[len(prefix):-len("_HOST")])
    return found


def get_node_list(service, ports=None, minimum=1):
    """``['host:port[:port...]', ...]``, one entry per instance of ``service``.

    For each name in ``ports``, in order, ``:<external port>`` is appended to the
    instance's host address. Fewer than ``minimum`` instances raise
    MaestroEnvironmentError.
    """
    ports = list(ports or [])
    nodes = []
    for container in _instances(service):
        host = os.environ.get(_var(service, container, "HOST"))
        if host is None:
            continue
        parts = [host] + [str(get_specific_port(service, container, port)) for port in ports]
        nodes.append(":".join(parts))
    if len(nodes) < minimum:
        raise MaestroEnvironmentError("not enough %s nodes: %d found, at least %d needed"
                                      % (service, len(nodes), minimum))
    return nodes


# --------------------------------------------------------------------------- command line
def _print(value):
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    print(value)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = ("usage: guestutils.py FUNCTION [ARG...]\n"
             "  get_environment_name | get_service_name | get_container_name\n"
             "  get_container_host_address [--ip] | get_container_internal_address [INTERFACE]\n"
             "  get_port NAME [DEFAULT] | get_specific_host SERVICE CONTAINER\n"
             "  get_specific_port SERVICE CONTAINER PORT [DEFAULT]\n"
             "  get_specific_exposed_port SERVICE CONTAINER PORT [DEFAULT]\n"
             "  get_node_list SERVICE [--ports P1,P2] [--minimum N]\n")
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(usage)
        return 0 if argv else 2
    name, args = argv[0], argv[1:]
    if name not in __all__ or not name.startswith("get_"):
        sys.stderr.write("guestutils: unknown function %r\n%s" % (name, usage))
        return 2
    kwargs = {}
    try:
        if name == "get_node_list":
            rest = []
            while args:
                word = args.pop(0)
                if word in ("--ports", "-p") and args:
                    kwargs.setdefault("ports", []).extend(p for p in args.pop(0).split(",") if p)
                elif word in ("--minimum", "-m") and args:
                    kwargs["minimum"] = int(args.pop(0))
                else:
                    rest.append(word)
            args = rest
        elif name == "get_container_host_address" and "--ip" in args:
            args.remove("--ip")
            kwargs["as_ip_address"] = True
        _print(globals()[name](*args, **kwargs))
    except MaestroEnvironmentError as e:
        sys.stderr.write("guestutils: %s\n" % e)
        return 1
    except (TypeError, ValueError) as e:
        sys.stderr.write("guestutils: %s: %s\n%s" % (name, e, usage))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
