"""Open from the Hub: the user's task templates on their hub; Enter pulls one and opens it.

The list is read with ``GET /api/task-templates?username=USER`` on a worker thread;
typing filters it by slug or title. Enter pulls the template into the default folder
(:mod:`taskwizard.pulling`: the config entry is added or updated in place, a task
YAML that differs is only overwritten after a yes) and opens it in the wizard, so a
later Save and Upload show it as "new version" or "tags only".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from taskwizard.tui.app_node import TaskWizardNode

if TYPE_CHECKING:
    from taskwizard.pulling import PullPlan
    from taskwizard.tui.app import TaskWizardApp


def matches(template: dict[str, Any], query: str) -> bool:
    """Whether a listed template matches the search (slug or title, any case)."""
    words = query.lower().split()
    text = f"{template.get('slug', '')} {template.get('title', '')}".lower()
    return all(word in text for word in words)


COLUMNS = (
    ("slug", "Slug"),
    ("title", "Title"),
    ("type", "Type"),
    ("version", "Ver"),
    ("state", "State"),
)


def columns_for(total: int) -> list[tuple[str, str, int]]:
    """(key, label, width) of the columns that fit ``total`` cells (2 per column pad).

    The slug matters most: below 96 cells the type is left out to give it room.
    """
    shown = [c for c in COLUMNS if c[0] != "type" or total >= 96]
    fixed = {"type": 20, "version": 3, "state": 9}
    rest = max(24, total - sum(fixed.get(k, 0) for k, _ in shown) - 2 * len(shown))
    slug = rest * 3 // 5
    widths = {**fixed, "slug": slug, "title": rest - slug}
    return [(key, label, widths[key]) for key, label in shown]


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class HubOpenScreen(TaskWizardNode, Screen[None]):
    CSS_PATH = "hub_open.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "reload", "Reload"),
        Binding("down", "to_table", "List", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.templates: list[dict[str, Any]] = []
        self.owner: str | None = None
        self.hub_url = ""

    def compose(self) -> ComposeResult:
        yield Static("Open from the Hub", id="hub-open-title")
        yield Input(placeholder="Search your templates by slug or title", id="hub-search")
        table: DataTable[str] = DataTable(id="hub-templates", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("Reading your templates from the hub…", id="hub-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#hub-search", Input).focus()
        self.load_templates()

    def on_resize(self) -> None:
        if self.is_mounted:
            self._fill()

    # ---------------------------------------------------------------- listing
    @work(thread=True, exclusive=True, group="hub-open")
    def load_templates(self) -> None:
        from taskwizard.hub.auth import AuthError
        from taskwizard.hub.client import HubError
        from taskwizard.hub.environments import HubConfigError
        from taskwizard.hub.targets import resolve_target

        try:
            target = resolve_target()
            with target.client(read_only=True) as client:
                templates = client.list_task_templates(target.username)
        except (HubConfigError, AuthError, HubError) as exc:
            self.app.call_from_thread(self._show_status, f"Cannot list your templates: {exc}")
            return
        self.app.call_from_thread(self._show_templates, target.username, target.hub_url, templates)

    def _show_status(self, text: str) -> None:
        self.query_one("#hub-status", Static).update(text)

    def _show_templates(self, owner: str, hub_url: str, templates: list[dict[str, Any]]) -> None:
        self.owner, self.hub_url = owner, hub_url
        # One row per slug (the newest version, should a hub list versions); none without one.
        newest: dict[str, dict[str, Any]] = {}
        for template in templates:
            slug = str(template.get("slug") or "")
            version = template.get("version")
            known = newest.get(slug, {}).get("version")
            if slug and (known is None or (isinstance(version, int) and version > known)):
                newest[slug] = template
        self.templates = [newest[slug] for slug in sorted(newest)]
        self.query_one("#hub-open-title", Static).update(
            f"Open from the Hub · {owner}'s templates on {hub_url}"
        )
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#hub-templates", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        columns = columns_for(self.app.size.width - 4)
        for key, label, width in columns:
            table.add_column(label, key=key, width=width)
        query = self.query_one("#hub-search", Input).value
        shown = [t for t in self.templates if matches(t, query)]
        for template in shown:
            cells = [clip(str(template.get(key, "")), width) for key, _, width in columns]
            table.add_row(*cells, key=str(template.get("slug", "")))
        if shown:
            table.move_cursor(row=min(max(cursor, 0), len(shown) - 1))
        if not self.templates:
            status = f"{self.owner} has no task templates on {self.hub_url} yet."
        elif not shown:
            status = f"No template's slug or title matches {query!r}."
        else:
            status = (
                f"{len(shown)} of {len(self.templates)} templates · Enter pulls one into "
                f"{self.tw_app.default_folder()} and opens it"
            )
        self._show_status(status)

    @on(Input.Changed, "#hub-search")
    def _search(self) -> None:
        self._fill()

    @on(Input.Submitted, "#hub-search")
    def action_to_table(self) -> None:
        self.query_one("#hub-templates", DataTable).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self._show_status("Reading your templates from the hub…")
        self.load_templates()

    # ---------------------------------------------------------------- pulling
    @on(DataTable.RowSelected, "#hub-templates")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value and self.owner:
            self._show_status(f"Pulling {self.owner}/{event.row_key.value}…")
            self.plan_template(self.owner, event.row_key.value)

    @work(thread=True, exclusive=True, group="hub-open")
    def plan_template(self, owner: str, slug: str) -> None:
        from taskwizard.hub.auth import AuthError
        from taskwizard.hub.client import HubError
        from taskwizard.hub.environments import HubConfigError
        from taskwizard.hub.targets import resolve_target
        from taskwizard.pulling import PullError, plan_pull

        try:
            target = resolve_target()
            with target.client(read_only=True) as client:
                plan = plan_pull(
                    client, owner, slug, into=self.tw_app.default_folder(), username=owner
                )
        except (HubConfigError, AuthError, HubError, PullError) as exc:
            self.app.call_from_thread(self._show_status, f"Cannot pull {owner}/{slug}: {exc}")
            return
        self.app.call_from_thread(self._confirm, plan)

    def _confirm(self, plan: PullPlan) -> None:
        if not plan.overwrites:
            self._write(plan)
            return
        from taskwizard.tui.dialogs.confirm import ConfirmDialog

        names = "\n".join(f"  {f.path}" for f in plan.overwrites)

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(plan)
            else:
                plan.discard()
                self._show_status("Nothing was written.")

        self.app.push_screen(
            ConfirmDialog(
                f"These files differ from the hub's version:\n{names}\n\nOverwrite them with "
                "the hub's? (The config's entry is updated in place either way.)",
                title="Overwrite with the hub's version?",
                yes="Overwrite",
                danger=True,
            ),
            answered,
        )

    def _write(self, plan: PullPlan) -> None:
        from taskwizard.pulling import apply_pull

        try:
            apply_pull(plan)
        except OSError as exc:
            self._show_status(f"Cannot write the pulled files: {exc}")
            return
        finally:
            plan.discard()
        open_pulled(self.tw_app, plan.config_path, plan.slug)


def open_pulled(app: TaskWizardApp, config_path: Path, slug: str) -> None:
    """Open the pulled entry of ``config_path`` in the wizard."""
    from taskwizard.editing import CannotOpen, open_file, state_for_config

    try:
        opened = open_file(config_path)
    except CannotOpen as exc:
        app.notify(f"{exc}", title="Cannot open", severity="error", timeout=10)
        return
    from taskwizard.model.slug import sanitise_slug

    # The entry may spell its slug as the user wrote it ("My Template"): compare sanitised.
    index = next((c.index for c in opened.templates() if sanitise_slug(c.slug) == slug), None)
    state, notes = state_for_config(opened, index)
    for note in notes:
        app.notify(note, timeout=8)
    if opened.problems:
        state.touch_all()
    app.notify(f"Pulled {slug} into {config_path}.", timeout=6)
    app.start_new(state)
