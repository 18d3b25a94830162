"""Keys take effect in the order they were typed, in the widget they were typed into.

Textual hands each key to the widget focused when the *app* reads it. A key
that widget does not handle itself (Backspace, Ctrl+U, Enter, the arrows are
*bindings* of an Input) then bubbles up through every ancestor's message queue
before its binding runs, while the keys behind it in the same read (a
non-bracketed paste, a slow SSH link, ``tmux send-keys``) have been handed out
already: "Ctrl+U, new text" ran as "new text, Ctrl+U" and the text was lost,
and text typed after an Enter that moves on to the next field landed in the
field being left.

:func:`deliver_key` runs such a binding where it belongs in the sequence: it
lets the focused widget (and its ancestors up to the screen) finish the keys
and messages they already have, runs the binding, lets what the binding set off
(e.g. ``Input.Submitted`` moving the focus) finish too, and only then lets the
app read the next key.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import events
from textual.dom import NoScreen
from textual.widgets import Input

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.app import App
    from textual.widget import Widget

#: How long a key waits for the widgets ahead of it (a stuck handler must not hang input).
DRAIN_TIMEOUT = 1.0


def focus_now(widget: Widget) -> None:
    """Move the focus at once, not in the app's queue behind keys already typed.

    ``Widget.focus()`` asks the app to move the focus later; the keys typed after
    the Enter or Ctrl+N that moved it would still go to the widget being left.
    """
    try:
        screen = widget.screen
        screen.set_focus(widget)
    except NoScreen:
        widget.focus()  # not on a screen yet: Textual's own (deferred) way
        return
    if screen.focused is not widget:
        widget.focus()  # not focusable just yet (being mounted): Textual's own way


def keys_waiting(widget: Widget) -> bool:
    """Whether keys typed after the one being handled wait, read by the app but not
    handled yet (in the app's queue or ``widget``'s): work done once per burst waits.

    The queues hold other messages too (a TextArea tells the app its selection
    changed): only keys and pastes count. Textual's queue has no public way to look.
    """
    for pump in (widget.app, widget):
        queued: Iterable[object] = pump._message_queue.values
        if any(isinstance(message, events.Key | events.Paste) for message in queued):
            return True
    return False


def own_binding_keys(widget: Widget) -> set[str]:
    """The keys the widget itself binds (not its ancestors), priority ones aside."""
    return {
        key
        for key, bindings in widget._bindings.key_to_bindings.items()
        if any(not b.priority for b in bindings)
    }


def _handles_key_itself(widget: Widget, event: events.Key) -> bool:
    """Whether the widget may act on the key in its own key handler (not a binding).

    An Input handles only printable keys that way; other widgets (TextArea's Enter
    and Tab, a list's letters) are left to Textual unless they bind the key.
    """
    if event.key in own_binding_keys(widget):
        return False
    return not isinstance(widget, Input)


def _idle(widget: Widget) -> bool:
    """Whether the widget has handled everything posted to it: its queue is empty and
    its task waits for the next message (not suspended inside a handler).

    Waiting on an idle widget costs a turn of the event loop each (0.1 ms, 0.6-0.8 ms
    for a field's chain up to the screen); with a person typing, the whole chain is
    idle on nearly every key. Textual's queue has no public way to tell: where its
    insides are not what this reads, the widget counts as busy (waited on, as before).
    """
    queue: Any = widget._message_queue
    if widget._pending_message is not None or widget._next_callbacks or not queue.empty():
        return False
    waiters = getattr(getattr(queue, "ready_event", None), "_waiters", None)
    return waiters is not None and any(not waiter.done() for waiter in waiters)


async def _drain(widgets: list[Widget]) -> None:
    """Wait until each widget, in order, has handled what was posted to it so far."""
    for widget in widgets:
        if not widget.is_attached or _idle(widget):
            continue
        done = asyncio.Event()
        if not widget.call_later(done.set):
            continue  # closing: it takes nothing any more
        try:
            await asyncio.wait_for(done.wait(), DRAIN_TIMEOUT)
        except TimeoutError:
            return


def _chain(widget: Widget) -> list[Widget]:
    """The widget and its ancestors up to its screen (the app's own queue is ours)."""
    from textual.widget import Widget as WidgetClass

    chain: list[Widget] = []
    for node in widget.ancestors_with_self:
        if not isinstance(node, WidgetClass):
            break
        chain.append(node)
        if node is widget.screen:
            break
    return chain


async def deliver_key(app: App[Any], event: events.Key) -> bool:
    """Deliver a non-printable key to the focused widget in its place in the sequence.

    Returns False when Textual should deliver it as usual.
    """
    focused = app.focused
    if focused is None or event.is_forwarded or event.is_printable:
        return False
    if _handles_key_itself(focused, event):
        return False
    if await app._check_bindings(event.key, priority=True):
        return True  # a priority binding (Tab, Ctrl+Q) acts at once, as before
    app.app_focus = True
    chain = _chain(focused)
    await _drain(chain)
    if app.focused is not focused:
        # What was ahead of the key moved the focus: it is for the new field.
        return await deliver_key(app, event)
    if not await app._check_bindings(event.key):
        focused._forward_event(event)  # bound nowhere: delivered as usual
        return True
    await _drain(chain)

    return True
