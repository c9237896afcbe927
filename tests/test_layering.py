"""The package layering: no import cycles between the packages, and a bit-exact reference that runs
on a saved plan with neither hls4ml nor TensorFlow imported."""

import ast
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "salt_hls"
LAYERED = ("model", "hls", "emulate", "estimate", "vendor", "budget")


def import_graph() -> dict[str, set[str]]:
    """First-level parts of salt_hls (packages and modules) -> the parts they import, anywhere in a file
    (imports inside functions included: a lazy import is still a dependency)."""
    parts = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}
    graph: dict[str, set[str]] = defaultdict(set)
    for f in PACKAGE.rglob("*.py"):
        src = f.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if src == "__init__":  # the package's own __init__ is not a part
            continue
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [f"{node.module}.{a.name}" if node.module == "salt_hls" else node.module for a in node.names]
            else:
                continue
            for name in names:
                dots = name.split(".")
                if dots[0] == "salt_hls" and len(dots) > 1 and dots[1] in parts and dots[1] != src:
                    graph[src].add(dots[1])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one part (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle_through_another_part():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_model_and_emulate_are_in_no_import_cycle():
    graph = import_graph()
    assert "hls" not in graph["emulate"] and "hls" not in graph["model"] and "emulate" not in graph["model"]
    assert {"fixed", "operations", "plan"} <= graph["emulate"]
    tangled = [sorted(c) for c in cycles(graph) if c & {"model", "emulate"}]
    assert tangled == [], f"import cycles through model or emulate: {tangled}"


def test_the_layered_packages_import_each_other_without_cycles():
    tangled = [sorted(c) for c in cycles(import_graph()) if c & set(LAYERED)]
    assert tangled == [], f"import cycles through {LAYERED}: {tangled}"


def test_the_bottom_modules_import_nothing_above_them():
    graph = import_graph()
    for bottom in ("errors", "fixed", "geometry", "tables", "operations", "plan"):
        assert graph.get(bottom, set()) <= {"errors", "fixed", "operations"}, bottom


RUN_SAVED_PLAN = """
import sys
import numpy as np
from salt_hls.emulate import Reference
x = np.load(sys.argv[2])
out = Reference(sys.argv[1]).run(x)
np.save(sys.argv[3], out)
print(sorted(m for m in ("hls4ml", "tensorflow", "keras", "qkeras") if m in sys.modules))
"""


def test_the_reference_runs_on_a_saved_plan_without_hls4ml_or_tensorflow(tmp_path):
    import tensorflow as tf

    from salt_hls.emulate import Reference
    from salt_hls.model.builders import ModelSpec, build_model
    from salt_hls.plan import save_plan

    tf.keras.utils.set_random_seed(2)
    model = build_model(ModelSpec(n_particles=8))
    ref = Reference(model)
    path = save_plan(ref.plan, tmp_path / "plan")
    x = np.random.default_rng(3).normal(0, 4.0, (50, 8, 3))
    np.save(tmp_path / "x.npy", x)
    res = subprocess.run(
        [sys.executable, "-c", RUN_SAVED_PLAN, str(path), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1].replace("'", '"')) == []
    expected = ref.run(x)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)
    assert np.unique(expected).size > 10  # real logits, not a degenerate output
