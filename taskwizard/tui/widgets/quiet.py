"""Updates that do not re-lay the screen out when nothing moves.

``Static.update`` asks for a layout of the whole screen by default: on a step
with many fields that is 10-70 ms, several times per keystroke. A problem line,
the status line or the title that gets new text of the same height needs only a
repaint; :func:`update_static` asks for a layout only when the new text needs
a different height (or the widget's size is not known yet).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.css.scalar import Scalar, Unit
from textual.screen import Screen
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Footer, OptionList, Static
from textual.widgets._footer import FooterKey
from textual.widgets.option_list import Option


def _box_height(widget: Widget, content_height: int) -> int | None:
    """The height the widget's box gets for ``content_height`` lines, None if unknown."""
    styles = widget.styles
    height = content_height + styles.gutter.height
    for limit, pick in ((styles.min_height, max), (styles.max_height, min)):
        if limit is None:
            continue
        if limit.unit != Unit.CELLS:
            return None
        height = pick(height, int(limit.value))
    return height


def update_static(static: Static, content: VisualType) -> None:
    """``static.update(content)``, with a layout only if its height changes, and
    nothing at all when the text is the one shown (a repaint joins the frame's region)."""
    if isinstance(content, str) and static.is_mounted and static.content == content:
        return
    styles = static.styles
    size = static.content_size
    fixed_width = not (
        styles.has_rule("width") and styles.width is not None and styles.width.is_auto
    )
    auto_height = styles.height is None or styles.height.is_auto
    if not (static.is_mounted and static.display and size.width and fixed_width):
        static.update(content)
        return
    if not auto_height:
        static.update(content, layout=False)  # a fixed height: nothing can move
        refresh_in_this_frame(static)
        return
    static.update(content, layout=False)
    lines = static.get_content_height(static.container_size, static.app.size, size.width)
    if _box_height(static, lines) != static.size.height:
        static.refresh(layout=True)  # it grows or shrinks: the widgets below it move
    else:
        refresh_in_this_frame(static)


def refresh_in_this_frame(widget: Widget) -> None:
    """Tell the screen about the repaint (or layout) now, not when the widget's own
    task next runs.

    Textual posts a widget's repaint to its screen from the widget's task, once it
    is idle. A problem line updated while the field's editor handles a key would
    then reach the screen after the editor's own repaint, and Textual, composing as
    soon as the screen goes idle, drew the character in one frame and the problem
    line in the next, 17-33 ms later. Posted here, it is in the screen's queue ahead
    of the editor's, and both are drawn in one frame. (Widget._check_refresh, done
    now; the widget then has nothing left to post.)
    """
    if widget.is_attached:
        widget._check_refresh()


class QuietFooter(Footer):
    """A Footer that greys keys out and in where they are, instead of rebuilding itself.

    Textual's Footer removes and mounts all its keys whenever the screen's bindings
    change, which in the wizard happens whenever a keystroke makes or fixes the
    error that greys out Next and Save. When only the enabled state changed, the keys
    on show are updated in place (a repaint); any other change rebuilds as usual.
    """

    _shown_keys: tuple[tuple[str, str, str], ...] | None = None

    def _keys_on_show(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(
            (binding.key, binding.action, binding.description)
            for _, binding, _, _ in self.screen.active_bindings.values()
            if binding.show
        )

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown_keys = self._keys_on_show()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not (
            self._bindings_ready
            and screen.app.app_focus
            and self.is_attached
            and screen is self.screen
            and self._shown_keys == self._keys_on_show()
        ):
            super().bindings_changed(screen)
            return
        enabled = {binding.key: on for _, binding, on, _ in screen.active_bindings.values()}
        for key in self.query(FooterKey):
            disabled = not enabled.get(key.key, not key._disabled)
            if disabled != key._disabled:
                key._disabled = disabled
                key.set_class(disabled, "-disabled")


class QuietOptionList(OptionList):
    """An OptionList whose option can get a new prompt of the same height by a repaint
    of that option's line alone.

    ``replace_option_prompt_at_index`` drops the cached render of every option and
    repaints the whole list; in the wizard's step list that happens whenever a
    keystroke makes or fixes an error (the step's mark), and the list's full height
    then joins the region Textual redraws for that frame.
    """

    def set_prompt_in_place(self, index: int, prompt: VisualType) -> None:
        option = self.get_option_at_index(index)
        line = self._line_cache.index_to_line.get(index)
        height = self._line_cache.heights.get(index)
        if line is None or height is None or not self.is_mounted:
            self.replace_option_prompt_at_index(index, prompt)
            return
        option._set_prompt(prompt)
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        padding = self.get_component_styles("option-list--option").padding
        visual = self._get_visual(option)
        new_height = visual.get_height(self.styles, width - padding.width)  # type: ignore[arg-type]
        if new_height + option._divider != height:
            self._clear_caches()  # it wraps differently: the lines below move
            return
        cache = self._option_render_cache
        cached = cache.keys()  # (option, style, padding): this option's renders go
        for key in [key for key in cached if key[0] is option]:
            cache.discard(key)
        self.refresh_lines(line, height)

    def set_options_in_place(self, options: Iterable[Option]) -> None:
        """``set_options``, with a layout of the screen only when the list's height changes.

        An OptionList of auto height asks for a layout whenever its options are set:
        Review's problem list on each key that makes or clears a problem (8-10 ms, the
        step and its previews below laid out and drawn again). Options that fit the box
        the list has already need a repaint only.
        """
        height = self.outer_size.height
        laid_out = self._layout_required  # asked for before: not this call's to drop
        self.set_options(options)
        if laid_out or self.show_vertical_scrollbar or not (self.is_mounted and height):
            return
        size = self.content_size
        if size.width <= self.get_component_styles("option-list--option").padding.width:
            return  # no room to wrap the options in: laid out as usual
        lines = self.get_content_height(self.container_size, self.app.size, size.width)
        if lines <= size.height and _box_height(self, lines) == height:
            self._layout_required = False  # the same box, no scrollbar: a repaint


def hold_height(widget: Widget) -> None:
    """Keep ``widget`` at least as tall as it is now, from its next update on.

    For a line whose text alternates between one and two lines as the user types
    (a problem coming and going, the status line, Review's problem list): with its
    height held, an update is a repaint (see :func:`update_static` and
    :meth:`QuietOptionList.set_options_in_place`), not a layout of the whole screen.
    The rule is set for the next layout without asking for one: it is the height
    the widget has already. :func:`release_height` gives it back.
    """
    if not (widget.is_mounted and widget.display):
        return
    height = widget.outer_size.height  # min-height counts the border and padding too
    held = widget.styles.min_height
    if height > 1 and not (held and held.unit == Unit.CELLS and held.value >= height):
        widget.styles.inline.set_rule("min_height", Scalar(height, Unit.CELLS, Unit.HEIGHT))


def release_height(widget: Widget) -> None:
    """Undo :func:`hold_height` (one layout, if it was held)."""
    if widget.styles.inline.has_rule("min_height"):
        widget.styles.min_height = None  # back to the stylesheet's min-height
