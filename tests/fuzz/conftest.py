"""Hostile input goes to a system of its own (tests/conftest.py running_stack on the
spare environment): whatever it manages to change, the other tests' demo data is untouched."""
import pytest

from tests.conftest import running_stack, web_app


@pytest.fixture(scope="session")
def spare_stack(spare_service_env, tmp_path_factory):
    yield from running_stack(spare_service_env, tmp_path_factory, name="spare-logs")


@pytest.fixture(scope="session")
def spare_app(spare_stack):
    yield from web_app(spare_stack)
