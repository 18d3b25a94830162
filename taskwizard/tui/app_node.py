"""``self.tw_app`` for taskwizard's screens and widgets: the app, with its type.

Textual types ``self.app`` as ``App[Any]``; the screens and widgets that read the wizard
state need the :class:`TaskWizardApp`. Mixed in first: ``class Field(TaskWizardNode, Vertical)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widget import Widget

    from taskwizard.tui.app import TaskWizardApp

    _Node = Widget
else:
    _Node = object


class TaskWizardNode(_Node):
    @property
    def tw_app(self) -> TaskWizardApp:
        return self.app  # type: ignore[return-value]
