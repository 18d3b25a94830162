"""Keys reach the focused widget in the order they were typed.

Textual hands a key to the focused widget; a key the widget does not handle
itself (Backspace, Ctrl+U, Left… are *bindings* of Input and TextArea) then
bubbles up through every ancestor's message queue before the binding runs.
Printable keys that arrived in the same read (a non-bracketed paste, a slow SSH
link, ``tmux send-keys``) are handled by the widget meanwhile, so "Ctrl+U, then
new text" ran as "new text, then Ctrl+U": the text was typed and then cleared.

:func:`deliver_key` runs a binding of the focused widget itself *in that
widget's queue*, behind the keys already handed to it, instead of after the
bubble: every key takes effect in the order it was typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget


def own_binding_keys(widget: Widget) -> set[str]:
    """The keys the widget itself binds (not its ancestors), priority ones aside."""
    return {
        key
        for key, bindings in widget._bindings.key_to_bindings.items()
        if any(not b.priority for b in bindings)
    }


async def deliver_key(app: App[Any], event: events.Key) -> bool:
    """Queue a key that the focused widget binds behind the keys it already has.

    Returns False when the key is not one of those (Textual then delivers it as usual).
    """
    focused = app.focused
    if focused is None or event.is_forwarded or event.key not in own_binding_keys(focused):
        return False
    if await app._check_bindings(event.key, priority=True):
        return True  # a priority binding (Tab, Ctrl+Q) acts at once, as before
    app.app_focus = True
    focused.call_later(_run_own_binding, app, focused, event)
    return True


async def _run_own_binding(app: App[Any], widget: Widget, event: events.Key) -> None:
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await app.run_action(binding.action, widget):
            return
    # Its binding is disabled just now (check_action): deliver it the usual way.
    widget._forward_event(event)
