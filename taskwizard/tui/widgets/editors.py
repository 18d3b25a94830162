"""A field's editors other than the one-line Input, writing the field in their own task.

Each one hands its change to its field while it still handles the change itself
(:func:`taskwizard.tui.widgets.fields.write_field_now`), so the frame that shows the
change also shows the field's problem line (see :func:`taskwizard.tui.messages.deliver_now`).
Kept out of ``fields.py``: none of them is on the wizard's first frame, and TextArea
alone takes ~10 ms to import.
"""

from __future__ import annotations

from textual.widgets import Checkbox, SelectionList, TextArea

from taskwizard.tui.widgets.fields import write_field_now


class FieldTextArea(TextArea):
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self and write_field_now(self):
            event.stop()


class FieldCheckbox(Checkbox):
    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox is self and write_field_now(self):
            event.stop()


class FieldSelectionList(SelectionList[str]):
    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        if event.selection_list is self and write_field_now(self):
            event.stop()
