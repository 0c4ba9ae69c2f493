from tests.platform.conftest import alpha, beta, operator_admin  # noqa: F401  (fixtures shared with the platform tests)
