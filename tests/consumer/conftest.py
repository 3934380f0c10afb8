from __future__ import annotations

from pathlib import Path

import pytest
from consumer_support import ConsumerVenv, build_consumer_venv


@pytest.fixture(scope="session")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> ConsumerVenv:
    return build_consumer_venv(Path(tmp_path_factory.mktemp("consumer")))
