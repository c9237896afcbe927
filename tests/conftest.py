import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
# The shared read-only material lies beside the repository (../shared), on every machine.
SHARED = ROOT.parent / "shared"
SHARED_JETS = SHARED / "data" / "jets_pythia8_train.h5"
VENDOR_REPORTS = SHARED / "fixtures" / "vendor-reports" / "vivado-hls-2020.1"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def shared_jets_path():
    if not SHARED_JETS.is_file():
        pytest.skip(f"shared jets not found at {SHARED_JETS}")
    return SHARED_JETS


@pytest.fixture(scope="session")
def vendor_reports():
    """The real Vivado HLS 2020.1 report fixtures in ../shared (relative to the repository root)."""
    if not VENDOR_REPORTS.is_dir():
        pytest.skip(f"shared vendor-report fixtures not found at {VENDOR_REPORTS} (../shared beside the repository)")
    return VENDOR_REPORTS


def write_pythia_layout(path, n_jets=300, m=24, seed=0):
    """A small random file in the shared jets' layout, with class-dependent spreads so a model can learn."""
    import h5py

    r = np.random.default_rng(seed)
    labels = np.arange(n_jets) % 5
    n_real = r.integers(4, m + 1, n_jets)
    mask = np.arange(m)[None, :] < n_real[:, None]
    ptrel = np.sort(r.exponential(0.05, (n_jets, m)), axis=1)[:, ::-1]
    spread = 0.05 + 0.05 * labels[:, None]
    pf = np.stack([r.normal(0, 1, (n_jets, m)) * spread, r.normal(0, 1, (n_jets, m)) * spread, ptrel, mask], -1)
    pf[~mask] = 0
    with h5py.File(path, "w") as fh:
        fh["particle_features"] = pf.astype(np.float32)
        fh["jet_features"] = np.stack([np.full(n_jets, 1000.0), np.zeros(n_jets), np.full(n_jets, 90.0), n_real], -1).astype(
            np.float32
        )
        fh["labels"] = labels.astype(np.int8)
        fh["label_names"] = np.array([b"g", b"q", b"W", b"Z", b"t"])
    return path


@pytest.fixture(scope="session")
def tiny_jets(tmp_path_factory):
    return write_pythia_layout(tmp_path_factory.mktemp("jets") / "tiny.h5")
