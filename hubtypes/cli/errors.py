"""The one error the command line reports: a message and exit status 2."""


class CliError(Exception):
    pass
