"""What the ``mcphub`` commands do, apart from parsing their arguments (``hub.cli``): the
data-dir lock, import and export with backups and differences, the admin password reset."""


class CommandError(Exception):
    """A command cannot do what was asked; ``mcphub`` prints the message in one line, exit 1."""
