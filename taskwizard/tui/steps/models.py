"""Step 2: custom model files uploaded with the templates (the config's ``models:``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Self

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from taskwizard.model import catalog
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.steps.base import StepView
from taskwizard.tui.widgets.fields import Field


class ModelsStep(StepView):
    step_id = "models"
    title = "Models"
    intro = (
        "Optional: Python model files uploaded together with the templates of this config. "
        "An algorithm can then use a model by its file name (without .py)."
    )
    help_text = (
        "Each entry of the config's `models:` list is a model file (a Python file with exactly "
        "one model class named like the file), an optional weights file, and whether the "
        "uploaded model is private. Paths relative to the config file's folder are kept relative. "
        "taskwizard reads the files to check them; it never runs them. "
        f"Model files may be at most {catalog.MODEL_FILE_MAX_BYTES // (1024 * 1024)} MiB."
    )
    RAW_VIEW = ("config", (), ("models",))

    DEFAULT_CSS = """
    ModelsStep .model-entry {
        height: auto; border: round $primary-background; padding: 0 1; margin: 0 0 1 0;
    }
    ModelsStep .model-entry > .model-heading { text-style: bold; }
    ModelsStep .path-row { height: auto; }
    ModelsStep .path-row > Field { width: 1fr; }
    ModelsStep .path-row > Button { width: 12; min-width: 12; margin: 1 0 0 1; }
    ModelsStep .model-remove { margin: 0; }
    ModelsStep #models-empty { color: $text-muted; margin: 0 0 1 0; }
    """

    def _models(self) -> list[Any]:
        models = self.tw_app.state.config.get("models")
        return models if isinstance(models, list) else []

    def config_folder(self) -> Path:
        state = self.tw_app.state
        return Path(state.config_path).expanduser().parent if state.config_path else Path.cwd()

    def _anchor_config_path(self) -> None:
        """Model paths are relative to the config's folder, so the config needs a place now."""
        state = self.tw_app.state
        if state.config_path is None and not state.task_only:
            state.config_path = str(state.default_paths(self.tw_app.default_folder())[0])

    def compose_form(self) -> ComposeResult:
        self._anchor_config_path()
        help_ = catalog.FIELD_HELP
        models = self._models()
        yield Static(
            f"Relative paths are resolved against [b]{self.config_folder()}[/b].",
            classes="field--hint",
        )
        if not models:
            yield Static(
                "No models: the template uses models already on the Hub, or none.",
                id="models-empty",
            )
        for index, _model in enumerate(models):
            base = ("models", index)
            with Vertical(classes="model-entry", id=f"model-{index}"):
                yield Static(f"Model {index + 1}", classes="model-heading")
                with Horizontal(classes="path-row"):
                    yield Field(
                        "config",
                        (*base, "model_file"),
                        "Model file (.py)",
                        required=True,
                        id=f"model-{index}-file",
                        placeholder="e.g. models/MyModel.py",
                        help=help_.get("model_file", ""),
                    )
                    yield Button("Browse…", id=f"pick-model-{index}", classes="pick-model")
                with Horizontal(classes="path-row"):
                    yield Field(
                        "config",
                        (*base, "weights_file"),
                        "Weights file",
                        id=f"model-{index}-weights",
                        placeholder="optional",
                        help=help_.get("weights_file", ""),
                    )
                    yield Button("Browse…", id=f"pick-weights-{index}", classes="pick-weights")
                yield Field(
                    "config",
                    (*base, "private"),
                    "Private model",
                    kind="bool",
                    id=f"model-{index}-private",
                    help=help_.get("private", ""),
                )
                yield Button(
                    "Remove this model",
                    id=f"remove-model-{index}",
                    classes="model-remove",
                    variant="error",
                )
        yield Button("+ Add a model", id="add-model", variant="success")

    def focus(self, scroll_visible: bool = True) -> Self:
        """With no model yet, the wizard's "focus this step" lands on the Add button."""
        buttons = self.query("#add-model")
        if not self.fields() and buttons:
            buttons.first().focus(scroll_visible)
            return self
        return super().focus(scroll_visible)

    # ----------------------------------------------------------- add/remove
    @on(Button.Pressed, "#add-model")
    def add_model(self) -> None:
        state = self.tw_app.state
        models = state.config.get("models")
        if not isinstance(models, list):
            models = []
            state.config["models"] = models
        models.append({"model_file": "", "private": True})
        state.saved = False
        index = len(models) - 1
        state.focus = f"config:models.{index}.model_file"
        self.post_message(StateEdited("config", ("models", index), structural=True))
        self.call_after_refresh(self._focus_model, index)

    def _focus_model(self, index: int) -> None:
        # After the recompose the new entry's fields exist.
        for field in self.fields():
            if field.path == ("models", index, "model_file"):
                field.focus_editor()
                field.scroll_visible(animate=False)
                return
        self.call_after_refresh(self._focus_model, index)

    @on(Button.Pressed, ".model-remove")
    def remove_model(self, event: Button.Pressed) -> None:
        index = int(str(event.button.id).rsplit("-", 1)[1])
        state = self.tw_app.state
        models = self._models()
        if 0 <= index < len(models):
            del models[index]
            state.saved = False
            state.mark_touched("config", ("models",))
            self.post_message(StateEdited("config", ("models",), structural=True))

    # -------------------------------------------------------------- picking
    @on(Button.Pressed, ".pick-model, .pick-weights")
    def pick_file(self, event: Button.Pressed) -> None:
        from taskwizard.tui.dialogs.file_picker import FilePickerDialog

        kind, index_text = str(event.button.id).removeprefix("pick-").split("-")
        index = int(index_text)
        key = "model_file" if kind == "model" else "weights_file"
        current = self.tw_app.state.get("config", ("models", index, key)) or ""
        title = "Choose the model file (.py)" if kind == "model" else "Choose the weights file"
        suffixes = (".py",) if kind == "model" else ()
        picker = FilePickerDialog(
            title, self.config_folder(), suffixes=suffixes, initial=str(current)
        )
        self.app.push_screen(picker, lambda path: self._picked(index, key, path))

    def _picked(self, index: int, key: str, path: Path | None) -> None:
        if path is None:
            return
        value = self.relative_to_config(path)
        doc_path = ("models", index, key)
        self.tw_app.state.set("config", doc_path, value)
        for field in self.fields():
            if field.path == doc_path:
                field.reload()
                field.focus_editor()
        self.post_message(StateEdited("config", doc_path))

    def relative_to_config(self, path: Path) -> str:
        """Paths inside the config's folder are written relative to it (portable configs)."""
        folder = self.config_folder().resolve()
        resolved = path.expanduser().resolve()
        try:
            return resolved.relative_to(folder).as_posix()
        except ValueError:
            return str(resolved) if os.sep == "/" else resolved.as_posix()
