#!/usr/bin/env python
"""Django's command-line utility for Wallboard."""

import importlib.util
import os
import sys

# Development tooling (tools/, a checkout only): run with the tools app installed.
TOOL_COMMANDS = {"bench", "soak", "history_day", "prune_bench"}


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in TOOL_COMMANDS:
        if importlib.util.find_spec("tools") is None:
            sys.exit(
                f"manage.py {command} is development tooling: it runs from a checkout of the "
                "repository (its tools/ folder) with pip install -c constraints.txt -e '.[dev]'; "
                "an installed Wallboard (the wheel, the Docker image) does not include it."
            )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tools.settings")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallboard.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
