"""``blockade explore``: the live explorer, a local web page (:mod:`sim.explore`).

It listens on 127.0.0.1 unless told otherwise. Browsers may only connect under the names
printed at start (Bokeh's websocket origin check); another address is refused by the
server, so the start line says which names are allowed and how to add one.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

from sim.cli.common import PROG, ArgParser, CliError, fail, require_extra
from sim.config import ConfigError
from sim.experiment.executors import EXECUTORS

COMMAND = "explore"
DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 5006
MAX_PORT = 65535
#: Addresses that listen on every interface of the machine.
WILDCARDS = ("0.0.0.0", "::", "[::]")


def _port(text: str) -> int:
    """A port number (0: any free port)."""
    try:
        port = int(text)
    except ValueError:
        raise CliError(f"--port: must be an integer from 0 to {MAX_PORT} (got {text!r})") from None
    if not 0 <= port <= MAX_PORT:
        raise CliError(f"--port: must be from 0 to {MAX_PORT}, 0 for any free port (got {port})")
    return port


def _parser() -> ArgParser:
    p = ArgParser(
        prog=f"{PROG} {COMMAND}",
        description="A live explorer in the browser: pick a scenario and a policy, move the "
        "main levers and the uncertain ranges, run N replications and watch the headline, "
        "the charts and the difference from a reference run stream in.",
    )
    p.add_argument("--scenario", metavar="NAME", help="scenario shown first (default: the first)")
    p.add_argument("--config-dir", metavar="DIR", help="a folder of your own scenarios")
    p.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help="address to listen on (default: %(default)s, this machine only)",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="port (default: %(default)s; 0: any free one)",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="another name browsers may use to reach the page (repeatable)",
    )
    p.add_argument("--workers", type=int, metavar="W", help="parallel workers (default: all cores)")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="processes",
        help="where replications run (default: %(default)s)",
    )
    p.add_argument("--show", action="store_true", help="open the page in a browser")
    return p


def is_loopback(address: str) -> bool:
    """Whether ``address`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_port(address: str, port: int) -> int:
    """Check that ``address:port`` can be listened on; the port (a free one for 0)."""
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, where = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(where)
            return int(sock.getsockname()[1])
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CliError(
            f"--address {address} --port {port}: cannot listen there ({reason}); choose "
            "another --port (0: any free one) or --address"
        ) from None


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def _has_port(name: str) -> bool:
    """Whether ``host:port`` names its port (``[::1]:80`` does, ``::1`` does not)."""
    host, sep, port = name.rpartition(":")
    return bool(sep) and port.isdigit() and (host.startswith("[") or ":" not in host)


def origins(address: str, port: int, extra: list[str]) -> list[str]:
    """The ``host:port`` names browsers may use, plus ``extra`` (``port`` added where a name
    has none): this machine's names for a loopback or wildcard address, else the address."""
    names = [f"{_host(address)}:{port}"]
    if is_loopback(address) or address in WILDCARDS:
        names = [f"localhost:{port}", f"127.0.0.1:{port}"]
        if address in WILDCARDS:
            names.append(f"{socket.gethostname()}:{port}")
        elif address not in ("localhost", "127.0.0.1"):
            names.append(f"{_host(address)}:{port}")
    for name in extra:
        if not name.strip() or name.startswith(":"):
            raise CliError(f"--allow-origin: needs HOST or HOST:PORT (got {name!r})")
        names.append(name if _has_port(name) else f"{_host(name)}:{port}")
    return list(dict.fromkeys(names))


def _start_lines(address: str, port: int, allowed: list[str]) -> list[str]:
    """What the command says when it starts: where the page is, and who may reach it."""
    lines = [f"Explorer at http://{_host(address)}:{port}/ (Ctrl-C stops it)"]
    if not is_loopback(address):
        lines.append(
            f"Listening on {address}: anyone who can reach this machine on port {port} can run "
            "simulations here (there is no login)."
        )
    lines.append(
        f"Browsers may use: {', '.join(allowed)}; the server refuses other names (add one "
        "with --allow-origin HOST:PORT)."
    )
    return lines


def explore_main(argv: list[str]) -> int:
    """``blockade explore [--address A] [--port P] ...``: serve the explorer until stopped.

    Returns 0 when stopped, or 2 with one line on stderr for a bad argument or scenario.
    """
    try:
        require_extra("panel", "explore", f"{PROG} {COMMAND}")
        args = _parser().parse_args(argv)
        from sim.compose import user_config_dir
        from sim.explore.session import Engine, Session

        user_config_dir(args.config_dir)  # a folder that is not there: one line now
        engine = Engine(args.executor, args.workers)
        if args.scenario is not None:  # a scenario that does not compose: one line now
            Session(engine, args.config_dir).base(args.scenario, None)
        port = bind_port(args.address, args.port)
        allowed = origins(args.address, port, args.allow_origin)
    except (CliError, ConfigError) as exc:
        return fail(str(exc), command=COMMAND)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    from sim.experiment.runner import sigterm_as_interrupt
    from sim.explore.app import serve
    from sim.explore.views import prepare

    try:
        prepare()  # what the first run's last step needs, loaded before the workers fork
        engine.warm()  # fork the workers before the server starts its threads
        for line in _start_lines(args.address, port, allowed):  # ready to listen now
            print(line, flush=True)
        sigterm_as_interrupt()  # the workers are closed as on Ctrl-C
        serve(engine, args.address, port, allowed, args.scenario, args.config_dir, args.show)
    except KeyboardInterrupt:
        print("Explorer stopped.", file=sys.stderr)
    finally:
        engine.close()
    return 0
