"""Text from outside (a file name) as logs, messages and the audit may show it."""

from __future__ import annotations


def shown_name(name: str) -> str:
    """A file name as logs and messages may show it: characters that are not printable (newlines, control
    characters, unusual spaces) and backslashes written as Python escapes, so a name stays on one line and
    reads back unambiguously. Vietnamese letters are printable and shown as they are."""
    return "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode("ascii") for c in name)
