from tests.utils.dev_server import dev_server  # noqa: F401
