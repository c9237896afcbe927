"""The one check that the Python environment is the one salt-hls is built for.

QKeras 0.9 needs Keras 2; hls4ml 1.3.0 picks its Keras-3 parser whenever `import keras`
gives Keras 3 (TensorFlow >= 2.16) and then fails on QKeras models, and the hgq2 package
installs a `qkeras` module of its own that shadows the real one. requirements.lock pins a
set that works (TensorFlow 2.14.1 / Keras 2.14); this module says clearly when the running
environment is not that set, instead of letting a conversion fail deep inside hls4ml.
"""

from __future__ import annotations

from importlib import metadata

from salt_hls.errors import SaltError

REQUIRED = {"hls4ml": "1.3.0", "qkeras": "0.9.0"}


class EnvironmentProblem(SaltError):
    pass


def environment_report() -> dict:
    import keras
    import tensorflow as tf

    versions = {"tensorflow": tf.__version__, "keras": keras.__version__}
    for pkg in ("hls4ml", "qkeras", "numpy", "hgq2"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return versions


def check_environment() -> dict:
    """Raise EnvironmentProblem naming the fix when the environment cannot convert QKeras models."""
    v = environment_report()
    problems = []
    if not v["keras"].startswith("2."):
        problems.append(
            f"Keras {v['keras']} is installed; QKeras and hls4ml's QKeras parser need Keras 2 "
            "(install tensorflow-cpu==2.14.1, which brings Keras 2.14)"
        )
    if v["hgq2"] is not None:
        problems.append("hgq2 is installed: its top-level `qkeras` module shadows QKeras; uninstall hgq2 from this environment")
    for pkg, want in REQUIRED.items():
        if v[pkg] != want:
            problems.append(f"{pkg} {v[pkg] or 'is missing'}; salt-hls needs {pkg}=={want}")
    if problems:
        raise EnvironmentProblem(
            "this Python environment cannot run salt-hls:\n  - "
            + "\n  - ".join(problems)
            + "\nCreate the pinned environment with `make venv` (see README)."
        )
    return v
