"""Errors raised by embedviz for bad user input."""


class DataError(ValueError):
    """A file or array a user supplied cannot be used.

    The message always says which source, where (row / column when known),
    what was expected and what was found, so it can be shown to the user as is.
    """


class NotFittedError(ValueError, AttributeError):
    """A model was queried before `fit` (or `load_model`)."""


class TrainingDivergedError(ValueError, FloatingPointError):
    """Training produced NaN / inf or blew up; the message names the parameter to change."""


class InvalidIndexError(IndexError, ValueError):
    """A row index outside the data: an IndexError like numpy's, and a ValueError (a bad argument)."""
