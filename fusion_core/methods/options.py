"""Method options written as text, as QGIS and the CLI pass them.

``"local=false; smoothness=0.2; milestones=[1000, 2000]"`` (or the same as a JSON
object) becomes ``{"local": False, "smoothness": 0.2, "milestones": [1000, 2000]}``;
each method then checks names and values against its own settings, so a typo is reported with
the list of valid names. Imports neither torch nor a method.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError

__all__ = ["parse_method_options"]


def parse_method_options(text: str | None) -> dict[str, Any]:
    """The options in ``text`` (``key=value`` pairs separated by ``;``, or a JSON object)."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            options = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"Method options {text!r} are not valid JSON ({exc.msg}).") from None
        if not isinstance(options, dict):
            raise InputError(f"Method options {text!r} must be a JSON object.")
        return options
    options = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"Method option {item!r} is not of the form name=value; separate options "
                "with ';', e.g. 'local=false; smoothness=0.2'."
            )
        try:
            options[key.strip()] = json.loads(value.strip())
        except json.JSONDecodeError:
            options[key.strip()] = value.strip()
    return options
