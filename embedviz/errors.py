"""Errors raised by embedviz for bad user input."""


class DataError(ValueError):
    """A file or array a user supplied cannot be used.

    The message always says which source, where (row / column when known),
    what was expected and what was found, so it can be shown to the user as is.
    """
