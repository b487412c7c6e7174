"""The shared data and models, found as the C++ tests find them: ../shared
beside the repository (VEIL_SHARED_DIR, VEIL_MODEL_DIR override)."""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("VEIL_SHARED_DIR", ROOT.parent / "shared"))
MODELS = pathlib.Path(os.environ.get("VEIL_MODEL_DIR", SHARED / "models"))
VEIL_CLI = pathlib.Path(os.environ.get("VEIL_CLI", ROOT / "build" / "veil"))


@pytest.fixture(scope="session", autouse=True)
def model_mirror():
    os.environ["VEIL_MODEL_DIR"] = str(MODELS)


@pytest.fixture(scope="session")
def photos():
    return SHARED / "data" / "faces-dev" / "images"


@pytest.fixture(scope="session")
def clips():
    return SHARED / "data" / "video"


@pytest.fixture(scope="session")
def detector():
    import veil
    return veil.Detector()


@pytest.fixture(scope="session")
def cli():
    assert VEIL_CLI.exists(), f"{VEIL_CLI}: build Veil first (scripts/setup.sh)"
    return VEIL_CLI
