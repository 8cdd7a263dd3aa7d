"""The one exception type users see: a message that names the file and the fix."""


class JettagError(Exception):
    """An error the user can cause and fix (bad file, bad config, bad data).

    The CLI prints ``str(error)`` on one line and exits with status 2; no traceback.
    """
