"""The error of a result store that refuses or cannot be reached, raised by the S3 store and caught by the worker."""


class StorageError(Exception):
    """The object store refused or could not be reached: the task fails with this message."""
