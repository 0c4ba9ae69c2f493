from tests.platform.conftest import alpha, beta, outsider  # noqa: F401  (fixtures shared with the platform tests)
