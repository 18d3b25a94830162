"""The home screen: what to do (new, open, resume, upload, settings) and the drafts.

The draft list is read from :class:`taskwizard.drafts.DraftStore` each time
the screen shows, so a draft left by a killed process is offered straight
away. Unusable drafts are moved aside by the store and reported here.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option

from taskwizard.drafts import DraftError, DraftStore, DraftSummary
from taskwizard.tui.app_node import TaskWizardNode
from taskwizard.wizard_steps import STEP_TITLES

if TYPE_CHECKING:
    pass

#: (option id, key, label) of the menu; each id is also the action's name.
MENU: tuple[tuple[str, str, str], ...] = (
    ("new", "n", "New task template"),
    ("open", "o", "Open existing file"),
    ("hub", "h", "Open from the Hub"),
    ("resume", "r", "Resume a draft"),
    ("upload", "u", "Upload"),
    ("settings", "s", "Settings"),
    ("quit", "q", "Quit"),
)
DRAFT_ACTIONS = ("resume", "rename", "duplicate", "delete")
ABOUT = (
    "Create, check and upload Bitfount task templates. Every change is kept as a "
    "draft, so you can stop at any time and resume later."
)


class HomeScreen(TaskWizardNode, Screen[None]):
    CSS_PATH = "home.tcss"
    BINDINGS = [
        Binding("n", "new", "New"),
        # the menu shows these keys too; the Footer keeps room for the draft actions
        Binding("o", "open", "Open", show=False),
        Binding("h", "hub", "Open from the Hub", show=False),
        Binding("r", "resume", "Resume"),
        Binding("u", "upload", "Upload", show=False),
        Binding("s", "settings", "Settings"),
        Binding("e,f2", "rename", "Rename"),
        Binding("d", "duplicate", "Copy"),
        Binding("x,delete", "delete", "Delete"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[DraftSummary] = []
        self._pruned = False

    @property
    def store(self) -> DraftStore:
        store = getattr(self.app, "drafts", None)
        return store if isinstance(store, DraftStore) else DraftStore()

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static("taskwizard · Bitfount task templates", id="home-title")
        with Horizontal(id="home-top"):
            yield OptionList(
                *[Option(f"{key}  {label}", id=name) for name, key, label in MENU],
                id="home-menu",
            )
            with Vertical(id="home-about"):
                yield Static(ABOUT, id="home-intro")
                yield Static("", id="home-account", markup=False)
        with Vertical(id="home-drafts"):
            yield Static("Drafts", id="drafts-heading")
            table: DataTable[str | Text] = DataTable(
                id="drafts-table", cursor_type="row", zebra_stripes=True
            )
            yield table
            yield Static("", id="drafts-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_drafts()
        self.query_one("#drafts-table" if self.drafts else "#home-menu").focus()

    def on_screen_resume(self) -> None:
        self.refresh_drafts()

    def refresh_drafts(self, select: str | None = None) -> None:
        """Re-read the drafts (and the account line); keep or move the cursor to ``select``."""
        store = self.store
        if not self._pruned:
            self._pruned = True
            with contextlib.suppress(OSError):
                store.prune()
        table = self.query_one("#drafts-table", DataTable)
        current = select or self.selected_id()
        self.drafts = store.list()
        for report in store.corrupt_reports():
            self.notify(report, title="Unusable draft", severity="warning", timeout=12)
        self._fill_table(current)
        has = bool(self.drafts)
        table.display = has
        empty = self.query_one("#drafts-empty", Static)
        empty.display = not has
        empty.update("No drafts yet. Press n to start a new task template; every change is kept.")
        self.query_one("#drafts-heading", Static).update(
            f"Drafts ({len(self.drafts)}) · Enter resume · e rename · d copy · x delete"
            if has
            else "Drafts"
        )
        self._update_account()
        self.refresh_bindings()

    def _fill_table(self, select: str | None) -> None:
        """(Re)build the table from ``self.drafts``, with columns fitted to the width."""
        table = self.query_one("#drafts-table", DataTable)
        table.clear(columns=True)
        widths = column_widths(self.app.size.width - 4)
        for (key, label), width in zip(COLUMNS, widths, strict=True):
            table.add_column(label, key=key, width=width)
        for draft in self.drafts:
            table.add_row(*draft_cells(draft, widths), key=draft.id)
        ids = [d.id for d in self.drafts]
        if select in ids:
            table.move_cursor(row=ids.index(select))

    def on_resize(self) -> None:
        if self.is_mounted:
            self._fill_table(self.selected_id())

    def _update_account(self) -> None:
        from taskwizard.settings import load_settings, needs_setup

        label = self.query_one("#home-account", Static)
        if needs_setup():
            label.update("Not set up yet: press s for Settings (only needed to upload).")
            return
        settings = load_settings()
        hub = settings.resolved_hub_url() or settings.hub
        auth = {
            "api_key": "API key",
            "device_code": "browser login",
            "environment": "API key from the environment",
            None: "sign-in not chosen",
        }[settings.auth_method]
        label.update(f"{settings.username or '(no username)'} · {settings.hub} hub {hub} · {auth}")

    # -------------------------------------------------------------- selection
    def selected_id(self) -> str | None:
        table = self.query_one("#drafts-table", DataTable)
        if not self.drafts or table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), table.row_count - 1)
        return table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value

    def selected(self) -> DraftSummary | None:
        draft_id = self.selected_id()
        return next((d for d in self.drafts if d.id == draft_id), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in DRAFT_ACTIONS and not self.drafts:
            return None  # shown greyed out until there is a draft
        return True

    # ----------------------------------------------------------------- menu
    @on(OptionList.OptionSelected, "#home-menu")
    async def _menu_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            await self.run_action(event.option.id)

    @on(DataTable.RowSelected, "#drafts-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.tw_app.resume_draft(event.row_key.value)

    def action_new(self) -> None:
        self.tw_app.start_new()

    def action_open(self) -> None:
        self.tw_app.open_file(None)

    def action_hub(self) -> None:
        from taskwizard.tui.screens.hub_open import HubOpenScreen

        self.app.push_screen(HubOpenScreen())

    def action_resume(self) -> None:
        draft_id = self.selected_id()
        if draft_id is None:
            self.notify("There are no drafts to resume yet.")
            return
        self.tw_app.resume_draft(draft_id)

    def action_upload(self) -> None:
        self.tw_app.open_upload(None)

    def action_settings(self) -> None:
        self.tw_app.open_settings()

    async def action_quit(self) -> None:
        await self.app.run_action("quit")

    # ---------------------------------------------------------- draft actions
    def action_rename(self) -> None:
        from taskwizard.tui.dialogs.text_prompt import TextPromptDialog

        draft = self.selected()
        if draft is None:
            return

        def done(name: str | None) -> None:
            if name is None or name == draft.name:
                return
            try:
                self.store.rename(draft.id, name)
            except (DraftError, OSError) as exc:
                self.notify(f"Could not rename the draft: {exc}", severity="error")
            self.refresh_drafts(select=draft.id)

        self.app.push_screen(
            TextPromptDialog("Rename draft", draft.name, message="A name to find it by:"), done
        )

    def action_duplicate(self) -> None:
        draft = self.selected()
        if draft is None:
            return
        try:
            copy_id = self.store.duplicate(draft.id)
        except (DraftError, OSError) as exc:
            self.notify(f"Could not copy the draft: {exc}", severity="error")
            self.refresh_drafts()
            return
        self.refresh_drafts(select=copy_id)
        self.notify(f"Copied {draft.name!r}.")

    def action_delete(self) -> None:
        from taskwizard.tui.dialogs.confirm import ConfirmDialog

        draft = self.selected()
        if draft is None:
            return
        unsaved = (
            " Its changes were never saved to files and will be lost."
            if draft.status == "editing"
            else " Its files were saved; only the draft goes."
        )

        def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                self.store.delete(draft.id)
            except (DraftError, OSError) as exc:
                self.notify(f"Could not delete the draft: {exc}", severity="error")
            else:
                self.notify(f"Deleted the draft {draft.name!r}.")
            self.refresh_drafts()

        self.app.push_screen(
            ConfirmDialog(
                f"Delete the draft {draft.name!r}?{unsaved}",
                title="Delete draft",
                yes="Delete",
                danger=True,
            ),
            done,
        )


# ------------------------------------------------------------------ helpers
COLUMNS = (
    ("name", "Name"),
    ("template", "Template"),
    ("updated", "Last edited"),
    ("step", "Step"),
    ("check", "Check"),
)


def column_widths(total: int) -> tuple[int, ...]:
    """Widths for COLUMNS in ``total`` cells, 2 per column going to padding.

    76 cells (80 columns less the border and a scrollbar) is the minimum that fits.
    """
    name, template, updated, step, check = 14, 18, 11, 12, 11
    spare = max(0, total - (name + template + updated + step + check) - 2 * len(COLUMNS))
    step_extra = min(spare, 3)
    spare -= step_extra
    return (name + spare // 3, template + spare - spare // 3, updated, step + step_extra, check)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def draft_cells(
    draft: DraftSummary, widths: tuple[int, ...] | None = None
) -> tuple[str | Text, ...]:
    if draft.title and draft.slug:
        template = f"{draft.title} ({draft.slug})"
    else:
        template = draft.title or draft.slug or "(untitled)"
    name_w, template_w, _, step_w, _ = widths or (1000,) * len(COLUMNS)
    return (
        clip(draft.name, name_w),
        clip(template, template_w),
        when(draft.updated),
        clip(STEP_TITLES.get(draft.step, draft.step), step_w),
        check_text(draft),
    )


def when(moment: datetime, now: datetime | None = None) -> str:
    local = moment.astimezone()
    now = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo)
    if local.date() == now.date():
        return f"today {local:%H:%M}"
    if local.year == now.year:
        return f"{local:%d %b %H:%M}"
    return f"{local:%Y-%m-%d}"


def check_text(draft: DraftSummary) -> Text:
    """At most 11 cells (the Check column at 80 columns): never cut to "valid · s"."""
    if draft.problems is None:
        return Text("not checked", style="dim")
    if draft.problems == 0:
        return Text("✓ saved" if draft.status == "saved" else "✓ valid", style="green")
    plural = "s" if draft.problems != 1 else ""
    return Text(f"{draft.problems} problem{plural}", style="yellow")
