"""Exceptions that separate a user's bad input from a bug.

:class:`ConfigError` is raised for anything a user typed or wrote in a config file that cannot be used. Its message
is one line and names the offending key or argument; the CLI prints it and exits with code 2. Every other exception
is a bug (or a crashed check) and is reported as such.
"""

from __future__ import annotations


class TheorylabError(Exception):
    """Base class of theorylab's own exceptions."""


class ConfigError(TheorylabError, ValueError):
    """Invalid user input: an unknown key, a malformed value, an out-of-domain parameter.

    Parameters
    ----------
    message : str
        One line naming the key or argument and what is wrong with it,
        e.g. ``"sampler.gamma: must lie in (0, 1), got 1.5"``.
    """

    def __init__(self, message: str):
        if "\n" in message:
            raise ValueError("ConfigError messages must be a single line")
        super().__init__(message)
