"""The upload screen: where and as whom, the plan, then every file's progress.

Every decision is the engine's (:func:`taskwizard.hub.plan.build_plan`,
:func:`taskwizard.hub.upload.execute_plan`, :func:`~taskwizard.hub.upload.retry_failed`);
this screen asks for what is missing (username, API key), runs the engine in a thread
worker and shows what it reports. Worker errors are handled in one place
(:meth:`UploadScreen.on_worker_state_changed`) and shown as text, never a traceback.
A secret is never shown: the screen names where the credentials come from, only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    DataTable,
    Footer,
    Input,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState

from taskwizard.hub.auth import AuthError, Credentials
from taskwizard.hub.environments import Environment
from taskwizard.hub.plan import ACTION_WORDS, ItemKind, PlanItem, UploadPlan
from taskwizard.hub.targets import UploadIdentity, find_identity, hub_choices, hub_link
from taskwizard.hub.upload import FileProgress, FileState, UploadResult, format_bytes
from taskwizard.tui.app_node import TaskWizardNode
from taskwizard.tui.widgets.upload_progress import KIND_LABELS, UploadProgressList

if TYPE_CHECKING:
    from taskwizard.hub.client import HubClient
    from taskwizard.hub.localhub import LocalHub
    from taskwizard.tui.app import TaskWizardApp

Phase = Literal["identity", "planning", "plan-failed", "planned", "uploading", "finished"]
ClientFactory = Callable[[str, Credentials], "HubClient"]

#: Byte updates of one file reach the screen at most this often (state changes always do).
PROGRESS_INTERVAL_S = 0.05
ENV_HINT = "or set BITFOUNT_API_KEY_ID and BITFOUNT_API_KEY before starting taskwizard"


# ------------------------------------------------------------------- screen
class UploadScreen(TaskWizardNode, Screen[None]):
    CSS_PATH = "upload.tcss"
    BINDINGS = [
        Binding("escape", "escape", "Back / cancel"),
        Binding("u", "upload", "Upload"),
        Binding("c", "cancel", "Cancel"),
        Binding("r", "retry", "Retry"),
        Binding("p", "replan", "Plan again"),
        Binding("l", "start_local_hub", "Start local hub"),
    ]

    class FileUpdated(Message):
        """A file's progress, from the upload worker's thread."""

        def __init__(self, event: FileProgress) -> None:
            super().__init__()
            self.event = event

    def __init__(
        self,
        config_path: Path,
        *,
        client_factory: ClientFactory | None = None,
        show_rates: bool = True,
    ) -> None:
        super().__init__()
        from taskwizard.settings import load_secrets, load_settings

        self.config_path = Path(config_path)
        self.client_factory = client_factory
        self.show_rates = show_rates
        self.settings = load_settings()
        self.secrets = load_secrets()
        self.choices = hub_choices(self.settings)
        self.identity = find_identity(self.choices[0], self.settings.username)
        self.phase: Phase = "identity"
        self.plan: UploadPlan | None = None
        self.result: UploadResult | None = None
        self.error: str | None = None
        self._client: HubClient | None = None
        self._cancel = threading.Event()
        self._posted: dict[str, tuple[str, float]] = {}
        #: The local hub this screen started (it stops when the screen closes).
        self.local_hub: LocalHub | None = None
        self.hub_unreachable = False

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(f"[b]Upload[/b]  {escape(str(self.config_path))}", id="upload-title")
        with Horizontal(id="upload-hub-row"):
            yield Static("Hub", id="upload-hub-label")
            yield Select(
                [(f"{env.name} — {env.hub_url}", env.name) for env in self.choices],
                value=self.choices[0].name,
                allow_blank=False,
                compact=True,
                id="hub-select",
            )
        yield Static("", id="upload-identity")
        with ContentSwitcher(initial="identity-view", id="upload-body"):
            with VerticalScroll(id="identity-view", can_focus=False):  # its fields are the stops
                yield Static("", id="identity-intro")
                with Horizontal(classes="identity-field", id="username-field"):
                    yield Static("Username", classes="identity-label")
                    yield Input(
                        placeholder="your Bitfount username", id="username-input", compact=True
                    )
                yield Static("", id="username-check", classes="field-check")
                with Horizontal(classes="identity-field", id="key-id-field"):
                    yield Static("API key id", classes="identity-label")
                    yield Input(placeholder="API key id", id="key-id-input", compact=True)
                with Horizontal(classes="identity-field", id="key-field"):
                    yield Static("API key", classes="identity-label")
                    yield Input(placeholder="API key", password=True, id="key-input", compact=True)
                yield Static("", id="key-check", classes="field-check")
                yield Checkbox(
                    "Save in taskwizard's settings (a file only you can read)",
                    id="remember",
                    compact=True,
                )
                yield Button("Continue", id="identity-continue", variant="primary", compact=True)
            with Vertical(id="plan-view"):
                table: DataTable[str] = DataTable(
                    id="plan-table", cursor_type="row", zebra_stripes=True
                )
                yield table
                with VerticalScroll(id="plan-problems-box"):
                    yield Static("", id="plan-problems")
            with Vertical(id="progress-view"):
                yield UploadProgressList(show_rates=self.show_rates, id="progress-list")
                with VerticalScroll(id="summary-box"):
                    yield Static("", id="upload-summary")
        yield Static("", id="upload-status")
        with Horizontal(id="upload-buttons"):
            yield Button("Back", id="back-button", compact=True)
            yield Button("Start the local hub here", id="start-local-button", compact=True)
            yield Button("Retry failed", id="retry-button", compact=True)
            yield Button("Upload", id="upload-button", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#plan-table", DataTable)
        table.add_columns("Kind", "File / template", "Action", "Size", "Why")
        self._apply_identity()

    def on_unmount(self) -> None:
        self._cancel.set()
        if self._client is not None and self.phase != "uploading":
            self._client.close()
        if self.local_hub is not None:
            self.local_hub.stop()
            self.local_hub = None

    # ---------------------------------------------------------- identity
    def _apply_identity(self) -> None:
        """Show who uploads where; ask for what is missing, or make the plan."""
        identity = self.identity
        self._close_client()
        self.query_one("#upload-identity", Static).update(self._identity_text())
        if identity.complete:
            self._start_plan()
            return
        self._set_phase("identity")
        env = identity.environment
        need_user = not identity.username
        need_key = identity.credentials is None
        self.query_one("#username-field").display = need_user
        self.query_one("#username-check").display = need_user
        for widget_id in ("#key-id-field", "#key-field", "#key-check"):
            self.query_one(widget_id).display = need_key
        # Only the settings' own hub may keep the key: it is the one `setup` saves.
        same_hub = env.hub_url == self.settings.resolved_hub_url()
        self.query_one("#remember").display = same_hub
        lines = [f"To upload to [b]{escape(env.hub_url)}[/b] taskwizard needs:"]
        if need_user:
            lines.append("• your Bitfount username")
        if need_key:
            lines.append(f"• an API key (id and key) for this hub — {ENV_HINT}")
            if env.supports_device_code and env.name != "local":
                lines.append(
                    "  (or log in to your Bitfount account in Settings: s on the home screen)"
                )
            if env.name == "local":
                lines.append(
                    "  (`taskwizard hub` prints the local hub's key pair when it starts; or use "
                    "[b]Start the local hub here[/b] below: no key needed)"
                )
        if identity.problem:
            lines.append(f"[b $error]{escape(identity.problem)}[/]")
        self.query_one("#identity-intro", Static).update("\n".join(lines))
        first = "#username-input" if need_user else "#key-id-input"
        self.query_one(first, Input).focus()

    def _identity_text(self) -> str:
        identity = self.identity
        user = (
            f"[b]{escape(identity.username)}[/b]"
            if identity.username
            else "[b $error]no username[/]"
        )
        if identity.credentials is not None:
            creds = escape(identity.credentials.source)
        else:
            creds = "[b $error]no credentials[/]"
        return f"as {user} · credentials: {creds}"

    @on(Select.Changed, "#hub-select")
    def _hub_changed(self, event: Select.Changed) -> None:
        chosen = next((env for env in self.choices if env.name == event.value), None)
        if chosen is None or chosen == self.identity.environment:
            return
        self.identity = find_identity(chosen, self.identity.username)
        self._apply_identity()

    @on(Input.Changed, "#username-input")
    def _username_typed(self, event: Input.Changed) -> None:
        from taskwizard.settings import validate_username

        problem = validate_username(event.value.strip()) if event.value.strip() else None
        self.query_one("#username-check", Static).update(escape(problem or ""))

    @on(Input.Submitted, "#username-input, #key-id-input, #key-input")
    def _field_submitted(self, event: Input.Submitted) -> None:
        visible = [
            i
            for i in self.query("#identity-view Input").results(Input)
            if i.parent and i.parent.display
        ]
        if event.input is not visible[-1]:
            self.focus_next()
            return
        self.use_typed_identity()

    @on(Button.Pressed, "#identity-continue")
    def use_typed_identity(self) -> None:
        """Take the typed username / API key (saved when asked to), then look again."""
        from taskwizard.settings import save_secrets, save_settings, validate_username

        identity = self.identity
        username = identity.username
        if not username:
            typed = self.query_one("#username-input", Input).value.strip()
            problem = validate_username(typed)
            if problem:
                self.query_one("#username-check", Static).update(escape(problem))
                self.query_one("#username-input", Input).focus()
                return
            username = typed
        remember = bool(
            self.query_one("#remember").display and self.query_one("#remember", Checkbox).value
        )
        key_id = self.query_one("#key-id-input", Input).value.strip()
        key = self.query_one("#key-input", Input).value.strip()
        if remember and self.settings.username != username:
            self.settings.username = username
            save_settings(self.settings)
        if not key_id and not key:
            # Maybe the username was all that was missing (the local hub's own key pair).
            self.identity = find_identity(identity.environment, username)
            if self.identity.credentials is None and not self.identity.problem:
                self.query_one("#key-check", Static).update(
                    f"Enter the API key id and key ({ENV_HINT})."
                )
            self._apply_identity()
            return
        if not key_id or not key:
            missing = "API key id" if not key_id else "API key"
            self.query_one("#key-check", Static).update(f"Enter the {missing} too ({ENV_HINT}).")
            self.query_one("#key-id-input" if not key_id else "#key-input", Input).focus()
            return
        where = "saved in taskwizard's settings" if remember else "typed here, for this session"
        credentials = Credentials.from_api_key(key_id, key, f"API key {where} (id {key_id})")
        if remember:
            from pydantic import SecretStr

            self.secrets.api_key_id = key_id
            self.secrets.api_key = SecretStr(key)
            save_secrets(self.secrets)
            if self.settings.auth_method != "api_key":
                self.settings.auth_method = "api_key"
                save_settings(self.settings)
        self.query_one("#key-input", Input).value = ""
        self.identity = UploadIdentity(identity.environment, username, credentials)
        self._apply_identity()

    def _can_start_local_hub(self) -> bool:
        if self.local_hub is not None or self.identity.environment.name != "local":
            return False
        return self.phase == "identity" or (self.phase == "plan-failed" and self.hub_unreachable)

    @on(Button.Pressed, "#start-local-button")
    def action_start_local_hub(self) -> None:
        """Run the local hub inside taskwizard, so a new user can upload with no account."""
        from taskwizard import paths
        from taskwizard.hub.localhub import LocalHub, LocalHubError
        from taskwizard.settings import validate_username

        if not self._can_start_local_hub():
            return
        env = self.identity.environment
        username = self.identity.username
        if not username:
            username = self.query_one("#username-input", Input).value.strip()
            problem = validate_username(username)
            if problem:
                self.query_one("#username-check", Static).update(
                    escape(f"{problem} The local hub needs it too.")
                )
                self.query_one("#username-input", Input).focus()
                return
        address = urlsplit(env.hub_url)
        try:
            hub = LocalHub(
                paths.local_hub_dir(),
                username=username,
                host="127.0.0.1",
                port=address.port or 80,
                api_key_id=None,
                api_key=None,
            )
            hub.start()
        except (LocalHubError, OSError) as exc:
            self.notify(f"The local hub could not start: {exc}", severity="error", timeout=10)
            return
        self.local_hub = hub
        self.notify(
            f"The local hub runs on {hub.url} while this screen is open "
            f"(data in {hub.data_dir}); `taskwizard hub` keeps one running.",
            timeout=8,
        )
        credentials = Credentials.from_api_key(
            hub.api_key_id, hub.api_key, f"the local hub started here (id {hub.api_key_id})"
        )
        self.identity = UploadIdentity(Environment("local", hub.url), username, credentials)
        self._apply_identity()

    # -------------------------------------------------------------- plan
    def _client_for_identity(self) -> HubClient:
        if self._client is None:
            identity = self.identity
            assert identity.credentials is not None
            if self.client_factory is not None:
                self._client = self.client_factory(
                    identity.environment.hub_url, identity.credentials
                )
            else:
                from taskwizard.hub.client import HubClient

                self._client = HubClient(identity.environment.hub_url, identity.credentials)
        return self._client

    def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _start_plan(self) -> None:
        self.plan = None
        self.result = None
        self.error = None
        self._set_phase("planning")
        self.build_plan(self._client_for_identity(), self.identity.username or "")

    def action_replan(self) -> None:
        """Ask the hub again (after changing files, or to see what an upload did)."""
        if self.phase in ("planned", "finished", "plan-failed"):
            self._start_plan()

    @work(thread=True, exclusive=True, group="upload", name="plan", exit_on_error=False)
    def build_plan(self, client: HubClient, username: str) -> UploadPlan:
        from taskwizard.hub.plan import build_plan

        return build_plan(self.config_path, client, username)

    def show_plan(self, plan: UploadPlan) -> None:
        self.plan = plan
        table = self.query_one("#plan-table", DataTable)
        table.clear()
        for item in plan.items:
            table.add_row(
                KIND_LABELS[item.kind],
                item.name,
                ACTION_WORDS[item.action],
                _size_text(item),
                item.reason,
                key=item.id,
            )
        problems = self.query_one("#plan-problems", Static)
        problems.update(
            "\n".join(
                f"[{'$error' if p.is_error else '$warning'}]{escape(p.format())}[/]"
                for p in plan.problems
            )
        )
        box = self.query_one("#plan-problems-box")
        box.display = bool(plan.problems)
        table.display = bool(plan.items) or not plan.problems
        box.set_class(not table.display, "-alone")
        self._set_phase("planned")
        if table.display:
            table.focus()
        else:
            box.focus()

    # ------------------------------------------------------------ upload
    def action_upload(self) -> None:
        if not self._can_upload():
            return
        assert self.plan is not None
        self._cancel = threading.Event()
        self._posted.clear()
        progress = self.query_one("#progress-list", UploadProgressList)
        progress.set_files([_waiting(item) for item in self.plan.items])
        self.query_one("#upload-summary", Static).update("")
        self._set_phase("uploading")
        self.run_upload(self.plan, self._client_for_identity(), None)

    def action_retry(self) -> None:
        if self.phase == "plan-failed":
            self._start_plan()
            return
        if not self._can_retry():
            return
        assert self.plan is not None and self.result is not None
        self._cancel = threading.Event()
        self._posted.clear()
        self.query_one("#upload-summary", Static).update("")
        self._set_phase("uploading")
        self.run_upload(self.plan, self._client_for_identity(), self.result)

    @work(thread=True, exclusive=True, group="upload", name="upload", exit_on_error=False)
    def run_upload(
        self, plan: UploadPlan, client: HubClient, previous: UploadResult | None
    ) -> UploadResult:
        from taskwizard.hub.upload import execute_plan, retry_failed

        forward = self.forward_progress
        if previous is None:
            return execute_plan(plan, client, on_progress=forward, cancel=self._cancel)
        return retry_failed(plan, previous, client, on_progress=forward, cancel=self._cancel)

    def forward_progress(self, event: FileProgress) -> None:
        """On the worker's thread: pass an event to the screen, byte updates throttled."""
        now = time.monotonic()
        last = self._posted.get(event.file_id)
        if (
            last is not None
            and last[0] == event.state
            and now - last[1] < PROGRESS_INTERVAL_S
            and event.bytes_done < event.bytes_total
        ):
            return
        self._posted[event.file_id] = (event.state, now)
        self.post_message(self.FileUpdated(event))

    @on(FileUpdated)
    def _file_updated(self, message: FileUpdated) -> None:
        self.query_one("#progress-list", UploadProgressList).update_file(message.event)

    def action_cancel(self) -> None:
        if self.phase != "uploading":
            return
        self._cancel.set()
        self._status("[b]Cancelling[/b] after the current chunk…")

    def show_result(self, result: UploadResult) -> None:
        self.result = result
        progress = self.query_one("#progress-list", UploadProgressList)
        for event in result.files.values():
            progress.update_file(event)
        self.query_one("#upload-summary", Static).update(self._summary(result))
        self._set_phase("finished")

    def _summary(self, result: UploadResult) -> str:
        assert self.plan is not None
        env = self.identity.environment
        user = self.identity.username or ""
        counts: dict[str, int] = {}
        for event in result.files.values():
            counts[event.state] = counts.get(event.state, 0) + 1
        parts = [
            f"{counts[s]} {s}" for s in ("done", "unchanged", "failed", "cancelled") if s in counts
        ]
        head = "Cancelled" if result.cancelled else ("Uploaded" if result.ok else "Finished")
        lines = [
            f"[b]{head}[/b] to {escape(env.hub_url)} as {escape(user)}: "
            + (", ".join(parts) or "nothing to do")
            + "."
        ]
        for event in result.files.values():
            if event.state != "done":
                continue
            item = self.plan.item(event.file_id)
            if item.kind == "weights":
                continue  # shown with its model
            lines.append(
                f"  [$success]✓[/] {KIND_LABELS[item.kind]} {escape(item.name)}: "
                f"{escape(event.detail or 'done')} — {escape(hub_link(env, user, item))}"
            )
        for event in result.failed:
            lines.append(
                f"  [$error]✗[/] {KIND_LABELS[event.kind]} {escape(event.name)}: "
                f"{escape(event.error or event.state)}"
            )
        if env.name == "local":
            lines.append(f"The local hub is at {escape(env.hub_url)}/ (open it in a browser).")
        return "\n".join(lines)

    # ----------------------------------------------------- worker events
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker results and errors arrive."""
        worker = event.worker
        if worker.group != "upload":
            return
        if event.state == WorkerState.SUCCESS:
            if worker.name == "plan" and isinstance(worker.result, UploadPlan):
                self.show_plan(worker.result)
            elif worker.name == "upload" and isinstance(worker.result, UploadResult):
                self.show_result(worker.result)
        elif event.state == WorkerState.ERROR:
            self._worker_failed(worker.name, worker.error)

    def _worker_failed(self, name: str, error: BaseException | None) -> None:
        from taskwizard.hub.client import HubUnavailable

        message = _error_text(error)
        if name == "plan" and isinstance(error, AuthError):
            # Refused credentials: ask for others right here (the message says which).
            identity = self.identity
            self.identity = UploadIdentity(identity.environment, identity.username, None, message)
            self._apply_identity()
            self.notify(message, severity="error", timeout=10)
            return
        if name == "plan":
            hint = ""
            self.hub_unreachable = isinstance(error, HubUnavailable)
            if self.hub_unreachable and self.identity.environment.name in ("local", "dev"):
                hint = " — is the local hub running? (`taskwizard hub` in another terminal"
                hint += ", or l starts it here)" if self.local_hub is None else ")"
            self.error = f"Cannot make the plan: {message}{hint}"
            self._set_phase("plan-failed")
        else:
            self.error = f"The upload stopped: {message}"
            self._set_phase("finished" if self.result is not None else "planned")
        self.notify(self.error, severity="error", timeout=10)

    # --------------------------------------------------------- navigation
    def action_escape(self) -> None:
        if self.phase == "uploading":
            self.action_cancel()
            return
        self.action_back()

    @on(Button.Pressed, "#back-button")
    def action_back(self) -> None:
        if self.phase == "uploading":
            return
        app = self.tw_app
        app.pop_screen()
        if len(app.screen_stack) <= 1:
            app.show_home()

    @on(Button.Pressed, "#upload-button")
    def _upload_pressed(self) -> None:
        self.action_upload()

    @on(Button.Pressed, "#retry-button")
    def _retry_pressed(self) -> None:
        self.action_retry()

    def _can_upload(self) -> bool:
        plan = self.plan
        return (
            self.phase == "planned" and plan is not None and not plan.refused and bool(plan.changes)
        )

    def _can_retry(self) -> bool:
        return self.phase == "finished" and self.result is not None and bool(self.result.failed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "upload":
            if self.phase not in ("planning", "planned"):
                return False
            return True if self._can_upload() else None
        if action == "cancel":
            return self.phase == "uploading"
        if action == "start_local_hub":
            # While typing credentials `l` is a letter: the button is there instead.
            return self.phase != "identity" and self._can_start_local_hub()
        if action == "replan":
            return self.phase in ("planned", "finished", "plan-failed")
        if action == "retry":
            return self._can_retry() or self.phase == "plan-failed"
        return True

    # -------------------------------------------------------------- state
    def _set_phase(self, phase: Phase) -> None:
        self.phase = phase
        body = {
            "identity": "identity-view",
            "planning": "plan-view",
            "plan-failed": "plan-view",
            "planned": "plan-view",
            "uploading": "progress-view",
            "finished": "progress-view",
        }[phase]
        self.query_one("#upload-body", ContentSwitcher).current = body
        self.query_one("#hub-select", Select).disabled = phase in ("uploading", "planning")
        self.query_one("#upload-button", Button).disabled = not self._can_upload()
        self.query_one("#upload-button").display = phase not in (
            "identity",
            "uploading",
            "finished",
        )
        retry = self.query_one("#retry-button", Button)
        retry.display = self._can_retry() or phase == "plan-failed"
        retry.label = "Plan again" if phase == "plan-failed" else "Retry failed"
        self.query_one("#back-button", Button).disabled = phase == "uploading"
        self.query_one("#start-local-button").display = self._can_start_local_hub()
        self._status(self._status_text())
        self.refresh_bindings()
        # Disabling the hub selector while planning dropped the focus (a keyboard user
        # was left on nothing after choosing a hub), and a field of the hidden identity
        # form kept it (typing u, l, r went into it): a button of this phase takes it.
        if phase != "identity":
            self.call_after_refresh(self._focus_after_plan)

    def _focus_after_plan(self) -> None:
        """The button for what comes next (not the hub selector: it would take the
        letter keys u, l, r… that the screen's actions use)."""
        focused = self.focused
        identity_view = self.query_one("#identity-view")
        if self.phase == "identity":
            return  # back to the form (e.g. a key was refused): its field keeps the focus
        if focused is not None and identity_view not in focused.ancestors:
            return
        for button_id in ("#upload-button", "#start-local-button", "#retry-button", "#back-button"):
            button = self.query_one(button_id, Button)
            if button.display and not button.disabled:
                button.focus()
                return

    def _status(self, text: str) -> None:
        self.query_one("#upload-status", Static).update(text)

    def _status_text(self) -> str:
        env = self.identity.environment
        plan = self.plan
        if self.phase == "identity":
            return "Fill in what is missing, then Enter. Escape goes back."
        if self.phase == "planning":
            return (
                f"Making the plan: asking {escape(env.hub_url)} what it has "
                "(nothing is changed yet)…"
            )
        if self.phase == "plan-failed":
            return (
                f"[b $error]{escape(self.error or '')}[/]\n[b]r[/b] plans again; Escape goes back."
            )
        if self.phase == "planned" and plan is not None:
            if plan.refused:
                errors = sum(p.is_error for p in plan.problems)
                return (
                    f"[b $error]The config has {errors} error{'s' * (errors != 1)}[/]: nothing can "
                    "be uploaded. Fix them in the wizard (`taskwizard validate` lists the same)."
                )
            changes = len(plan.changes)
            if not changes:
                return "Everything is unchanged on the hub: nothing to upload. Escape goes back."
            error = f"[b $error]{escape(self.error)}[/]\n" if self.error else ""
            return (
                f"{error}{changes} change{'s' * (changes != 1)} to upload to "
                f"{escape(env.hub_url)}. [b]u[/b] (or the Upload button) starts; Escape goes back."
            )
        if self.phase == "uploading":
            return "Uploading… [b]c[/b] or Escape cancels after the current chunk."
        if self.phase == "finished":
            result = self.result
            if self.error:
                return f"[b $error]{escape(self.error)}[/]"
            if result is not None and result.failed:
                return (
                    f"{len(result.failed)} file(s) not uploaded: [b]r[/b] retries them; "
                    "[b]p[/b] makes a new plan (after you changed a file)."
                )
            return "[b $success]Done.[/] [b]p[/b] asks the hub again; Escape goes back."
        return ""


def _waiting(item: PlanItem) -> FileProgress:
    state: FileState = "waiting" if item.changes_hub else "unchanged"
    kind: ItemKind = item.kind
    return FileProgress(
        item.id, item.name, kind, item.action, state, 0, item.size or 0, detail=item.reason
    )


def _size_text(item: PlanItem) -> str:
    return format_bytes(item.size) if item.kind in ("model", "weights") else ""


def _error_text(error: BaseException | None) -> str:
    """An exception as one line for the user: its message, never a traceback."""
    if error is None:
        return "unknown error"
    text = str(error).strip()
    if isinstance(error, OSError) and error.strerror:
        text = f"{error.strerror}" + (f": {error.filename}" if error.filename else "")
    return text or type(error).__name__


def start_upload(app: TaskWizardApp, config_path: Path | None) -> None:
    """Open the upload screen for ``config_path``, asking for a config file first if None."""
    if config_path is None:
        from taskwizard.tui.dialogs.file_picker import FilePickerDialog

        def picked(chosen: Path | None) -> None:
            if chosen is not None:
                start_upload(app, chosen)
            elif len(app.screen_stack) <= 1:
                app.show_home()

        app.push_screen(
            FilePickerDialog(
                title="Upload which task-templates config?",
                start=app.default_folder(),
                suffixes=(".yaml", ".yml"),
            ),
            picked,
        )
        return
    path = Path(config_path).expanduser()
    if not path.is_file():
        app.notify(
            f"{path}: no such file. Choose the task-templates config to upload.",
            title="Cannot upload",
            severity="error",
            timeout=10,
        )
        start_upload(app, None)
        return
    app.push_screen(UploadScreen(path))
