"""``carillon health``: whether the running bot is connected (the Docker HEALTHCHECK).

It reads what ``carillon run`` reports in ``<data_dir>/health.json`` (see :mod:`bot.ops.health`),
so it costs no request to Discord and tells about this very process, not only about the network.
Exit 0 healthy, 1 not; one line either way.
"""

from __future__ import annotations

import argparse

from bot.cli.common import EXIT_USAGE, settings_or_none


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "health",
        help="exit 0 if the running bot reports a live gateway connection (for health checks)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing when healthy")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_or_none(args)
    if settings is None:
        return EXIT_USAGE
    from bot.ops.health import health_path, judge

    verdict = judge(health_path(settings.data_dir))
    if not (verdict.healthy and args.quiet):
        print(f"{'healthy' if verdict.healthy else 'unhealthy'}: {verdict.line}")
    return 0 if verdict.healthy else 1
