"""``taskwizard drafts``: list the drafts the wizard kept (``taskwizard resume ID`` opens one)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON (for scripts)")


def run(name: str, args: argparse.Namespace) -> int:
    import json

    from taskwizard.drafts import DraftStore
    from taskwizard.wizard_steps import STEP_TITLES

    store = DraftStore()
    store.harden()
    drafts = store.list()
    for report in store.corrupt_reports():
        print(f"taskwizard: {report}", file=sys.stderr)

    if getattr(args, "json", False):
        rows = [
            {
                "id": d.id,
                "name": d.name,
                "title": d.title,
                "slug": d.slug,
                "updated": d.updated.isoformat(),
                "step": d.step,
                "problems": d.problems,
                "status": d.status,
                "path": str(d.path),
            }
            for d in drafts
        ]
        print(json.dumps(rows, indent=2))
        return 0

    if not drafts:
        print(f"No drafts in {store.folder}.")
        return 0

    step_titles = STEP_TITLES
    table = [("ID", "NAME", "TEMPLATE", "LAST EDITED", "STEP", "CHECK")]
    for d in drafts:
        table.append(
            (
                d.id,
                d.name,
                template_label(d.title, d.slug),
                d.updated.astimezone().strftime("%Y-%m-%d %H:%M"),
                step_titles.get(d.step, d.step),
                check_label(d.problems, d.status),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    print(f"\nResume one with: taskwizard resume ID   (drafts are in {store.folder})")
    return 0


def template_label(title: str, slug: str) -> str:
    if title and slug:
        return f"{title} ({slug})"
    return title or slug or "(untitled)"


def check_label(problems: int | None, status: str) -> str:
    saved = ", saved" if status == "saved" else ""
    if problems is None:
        return f"not checked{saved}"
    if problems == 0:
        return f"valid{saved}"
    return f"{problems} problem{'s' if problems != 1 else ''}{saved}"
