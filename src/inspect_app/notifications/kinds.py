"""What each kind of message says, in the reader's language. A message stores its kind and
parameters (notifications.service.notify); the sentence is made when it is read, so a Chinese
and an English reader of the same inbox each read it in their own language. A parameter given
as {"zh": ..., "en": ...} (a site's or a measure's name) is read in the reader's language too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspect_app.i18n import gettext, lazy, pick

SENTENCES: dict[str, str] = {
    "deadline_soon": lazy("%(site)s: “%(measure)s” is due on %(deadline)s."),
    "overdue": lazy("%(site)s: “%(measure)s” is overdue since %(deadline)s."),
    "overdue_escalated": lazy("%(site)s: “%(measure)s” is %(days)s days overdue (%(team)s)."),
    "fix_reported": lazy("%(site)s reported “%(measure)s” fixed: verify it by %(due)s."),
    "verify_late": lazy("%(site)s: the fix reported for “%(measure)s” was not checked by %(due)s."),
    "recheck_requested": lazy("%(site)s applied for a re-check: visit by %(due)s."),
    "recheck_late": lazy("%(site)s: the re-check applied for was not made by %(due)s."),
    "round_ending": lazy("%(campaign)s ends on %(ends_on)s with %(left)s sites not covered."),
    "digest": lazy("Daily summary: %(new)s new, %(closed)s closed, %(overdue)s overdue."),
    "test": lazy("A test message from %(sender)s."),
}
FALLBACK = lazy("A message about %(kind)s.")


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return pick(str(value.get("zh", "")), str(value.get("en", "")))
    return str(value)


class _Params(dict[str, str]):
    """Parameters for %-formatting; a missing one reads as a dash rather than failing."""

    def __missing__(self, key: str) -> str:
        return "–"


def sentence(kind: str, params: Mapping[str, Any]) -> str:
    """The message in the current language."""
    values = _Params({name: _value(value) for name, value in params.items()})
    template = SENTENCES.get(kind)
    if template is None:
        return gettext(FALLBACK) % {"kind": kind}
    return gettext(template) % values
