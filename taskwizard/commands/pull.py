"""``taskwizard pull USER/SLUG``: fetch a task template from a Hub into a local config.

Exit codes: 0 pulled (or nothing to change), 1 the template is not on the hub or the
hub could not be read, 2 usage or configuration errors (bad USER/SLUG, no or refused
credentials, a differing file to overwrite without ``--yes`` and no terminal to ask).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from taskwizard.commands.upload import ENV_CHOICES, UsageError

if TYPE_CHECKING:
    from taskwizard.pulling import PullPlan


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", metavar="USER/SLUG", help="the template's owner and slug")
    parser.add_argument(
        "--version", type=int, metavar="N", help="pull version N (default: the latest)"
    )
    parser.add_argument(
        "--into",
        type=Path,
        default=Path("."),
        metavar="FOLDER",
        help="the folder (or a task-templates config file) to pull into (default: .); "
        "its task-templates.yaml gets the entry, added or updated in place",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--hub", metavar="URL", help="hub URL (e.g. http://127.0.0.1:3000)")
    where.add_argument("--env", choices=ENV_CHOICES, help="a known hub (default: your settings)")
    parser.add_argument(
        "--username", metavar="USER", help="sign in as USER (default: settings, else the owner)"
    )
    parser.add_argument(
        "--with-models",
        action="store_true",
        help="also download the code of the custom models the task uses into models/",
    )
    parser.add_argument(
        "--with-weights",
        action="store_true",
        help="with --with-models: download the models' weights too",
    )
    parser.add_argument(
        "--yes", "-y", action="store_true", help="overwrite files that differ without asking"
    )


def run(name: str, args: argparse.Namespace) -> int:
    try:
        return _run(args, sys.stdout)
    except UsageError as exc:
        print(f"taskwizard pull: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from taskwizard import settings as settings_module
    from taskwizard.hub.auth import AuthError
    from taskwizard.hub.client import HubError
    from taskwizard.hub.environments import HubConfigError
    from taskwizard.hub.targets import resolve_target
    from taskwizard.pulling import (
        PullError,
        TemplateNotFound,
        parse_owner_slug,
        plan_pull,
    )

    if args.with_weights and not args.with_models:
        raise UsageError("--with-weights needs --with-models")
    try:
        owner, slug = parse_owner_slug(args.template)
    except PullError as exc:
        raise UsageError(str(exc)) from None
    username = args.username or settings_module.load_settings().username or owner
    try:
        target = resolve_target(env=args.env, hub_url=args.hub, username=username)
        client = target.client(read_only=True)
    except (HubConfigError, AuthError) as exc:
        raise UsageError(str(exc)) from None
    env = target.environment
    print(f"Hub:  {env.hub_url} ({env.name})", file=out)
    try:
        try:
            plan = plan_pull(
                client,
                owner,
                slug,
                into=args.into,
                version=args.version,
                with_models=args.with_models,
                with_weights=args.with_weights,
                username=target.username,
            )
        except AuthError as exc:
            raise UsageError(str(exc)) from None
        except TemplateNotFound as exc:
            print(f"taskwizard pull: {exc}", file=sys.stderr)
            return 1
        except PullError as exc:
            print(f"taskwizard pull: {exc}", file=sys.stderr)
            return 1
        except HubError as exc:
            hint = " — is `taskwizard hub` running?" if env.name in ("local", "dev") else ""
            print(f"taskwizard pull: cannot read {owner}/{slug}: {exc}{hint}", file=sys.stderr)
            return 1
    finally:
        client.close()

    try:
        return _report_and_write(plan, args, out)
    finally:
        plan.discard()


def _report_and_write(plan: PullPlan, args: argparse.Namespace, out: TextIO) -> int:
    from taskwizard.pulling import apply_pull

    version = f" version {plan.version}" if plan.version is not None else ""
    print(f"Template: {plan.owner}/{plan.slug}{version}", file=out)
    for file in plan.files:
        print(f"  {file.kind:<9}  {file.role:<7}  {file.path}", file=out)
    for note in plan.notes:
        print(f"  note: {note}", file=out)
    out.flush()
    if plan.overwrites and not args.yes:
        for file in plan.overwrites:
            if file.new_text is not None:
                out.write(file.diff())
        names = ", ".join(str(f.path) for f in plan.overwrites)
        differ = "differs" if len(plan.overwrites) == 1 else "differ"
        if not sys.stdin.isatty():
            raise UsageError(
                f"{names} {differ} from the hub's version and I can't ask (not on a terminal): "
                "pass --yes to overwrite, or pull --into another folder"
            )
        answer = input(f"Overwrite {names} with the hub's? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing written.", file=out)
            return 1
    written = apply_pull(plan)
    if written:
        print(
            f"Wrote {len(written)} file(s). Edit with: taskwizard edit {plan.config_path}", file=out
        )
    else:
        print("Everything already equals the hub's: nothing written.", file=out)
    return 0
