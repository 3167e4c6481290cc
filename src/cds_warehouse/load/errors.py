"""What stops a file's load as a whole (a row-level problem is a reject instead)."""


class LoadError(Exception):
    """A file that cannot be loaded at all (not a row-level problem)."""


class EmptyFile(LoadError):
    """A file without a header row: nothing to load, and nothing wrong with the night."""
