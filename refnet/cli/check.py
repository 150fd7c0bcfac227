"""``refnet check-settings KIND`` and ``refnet entrypoint COMMAND...``: a process kind's settings
checked before it starts, by the same code the process runs at its own start
(``Settings.load_at_start``), so there is one copy of the rules.

``refnet entrypoint`` is the image's entrypoint (deploy/Dockerfile): it checks the settings of
the kind the command starts (``refnet.settings.kind_of_command``), then replaces itself with
the command; a command of no known kind (a shell) starts unchecked.
"""

import os

from refnet import settings


def cmd_check_settings(args) -> int:
    """Exit 0 when every setting of the kind is present and well formed; else one line naming
    the variable (never its value) and exit 2."""
    settings.settings_of_kind(args.kind).load_at_start()
    print(f"{args.kind}: settings ok")
    return 0


def cmd_entrypoint(args) -> int:
    """Check the settings of the kind ``args.command`` starts, then exec it."""
    if not args.command:
        raise SystemExit("refnet entrypoint: give the command to start")
    kind = settings.kind_of_command(args.command)
    if kind is not None:
        settings.settings_of_kind(kind).load_at_start()
    try:
        os.execvp(args.command[0], args.command)
    except FileNotFoundError:
        raise SystemExit(f"refnet entrypoint: {args.command[0]}: no such command") from None
    return 0  # not reached


def add_commands(sub) -> None:
    """Register ``refnet check-settings`` and ``refnet entrypoint``."""
    check = sub.add_parser("check-settings",
                           help="check a process kind's settings (exit 2 naming a bad one)")
    check.add_argument("kind", choices=sorted(settings.KINDS))
    check.set_defaults(func=cmd_check_settings)
    entry = sub.add_parser("entrypoint",
                           help="the image's entrypoint: check the command's settings, exec it")
    entry.add_argument("command", nargs="...")
    entry.set_defaults(func=cmd_entrypoint)
