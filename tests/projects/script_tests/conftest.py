# A plugin's deprecation notice at configure time (as pytest-asyncio's about its unset loop scope, python-utils):
# under `filterwarnings = error` it ends pytest with INTERNALERROR unless the miner leaves such notices alone.
import pytest


def pytest_configure(config):
    config.issue_config_time_warning(pytest.PytestDeprecationWarning("a plugin's deprecation notice"), stacklevel=2)
