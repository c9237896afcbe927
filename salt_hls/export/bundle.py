"""Write the export bundle of an IP project.

DIR/
  manifest.json          top, ports (width, format, meaning), latency, II, clock, part, model hash and
                         training metadata, input convention, testbench files, vendor step
  hls/firmware/          the IP top, the input stage, the hls4ml network, nnet_utils, weights, ap_types
  hls/salt_ip_tb.cpp     the g++ testbench (stdin: testbench/input_words.txt)
  vitis_hls.tcl, vivado_hls.tcl
  testbench/input_words.txt, testbench/expected_scores.txt   from the bit-exact reference
  LICENSES/              hls4ml's licence (Apache-2.0) for the hls4ml and ap_types sources
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from salt_hls import __version__
from salt_hls.errors import DataError
from salt_hls.export import tcl
from salt_hls.outdir import replaceable

MANIFEST = "manifest.json"
# From the bundle's directory; the C simulation reads the weights from text files (hls4ml's WEIGHTS_DIR).
TESTBENCH_RUN = (
    "g++ -O1 -std=c++14 -Ihls/firmware -Ihls/firmware/ap_types '-DWEIGHTS_DIR=\"hls/firmware/weights\"' hls/{tb} "
    "hls/firmware/salt_ip.cpp hls/firmware/{network}.cpp -o salt_ip_tb && ./salt_ip_tb < testbench/input_words.txt "
    "| diff - testbench/expected_scores.txt && echo bit-exact"
)
MARKER = "salt_hls_export"  # the manifest key that makes a directory a previous export (--force replaces only those)


def check_out_dir(out: Path, force: bool) -> bool:
    """Whether `out` holds a previous export to replace; refuses anything else that is not empty."""
    return replaceable(out, force, what="export", marker=MANIFEST, key=MARKER, written_by="salt-hls export")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def score_bits(values: np.ndarray, fmt: str) -> list[list[str]]:
    """Two's-complement bit patterns (hex) of scores on the grid of `fmt` (e.g. fixed<16,7,...>)."""
    from salt_hls.estimate.project import parse_type

    t = parse_type(fmt)
    raw = np.round(np.asarray(values, np.float64) * 2.0 ** (t.width - t.integer)).astype(np.int64)
    if not np.array_equal(raw * 2.0 ** (t.integer - t.width), values):
        raise DataError(f"scores are not on the grid of {fmt}")
    digits = (t.width + 3) // 4
    return [[format(int(v) & ((1 << t.width) - 1), f"0{digits}x") for v in row] for row in raw]


def _clock_uncertainty(project: Path) -> str:
    m = re.search(r"^set clock_uncertainty (\S+)", (project / "project.tcl").read_text(), re.M)
    if not m:
        raise DataError(f"{project / 'project.tcl'} sets no clock_uncertainty; re-convert the project")
    return m.group(1)


def _latency(estimate: dict | None, settings: dict) -> dict:
    if estimate is None:
        return {
            "cycles": None,
            "ns": None,
            "ii_cycles": settings["reuse"],
            "source": None,
            "note": "no estimate given: run `salt-hls estimate PROJECT --out PROJECT/estimate.json` (or the vendor C synthesis) "
            "and export again; the II is the requested ReuseFactor",
        }
    lat = estimate["latency"]
    return {
        "cycles": lat["max_cycles"],
        "ns": lat["max_ns"],
        "ii_cycles": estimate["interval"]["max_cycles"],
        "source": f"{estimate['kind']} ({estimate['method']})",
        "note": "an estimate without vendor tools (salt-hls estimate), not a synthesis result"
        if estimate["kind"] == "estimate"
        else "from the vendor report",
    }


def export_project(
    project, out, force: bool = False, words=None, max_jets: int = 200, estimate=None, run_vendor: bool = True
) -> dict:
    """Write the bundle of IP project `project` into `out`; returns the manifest.

    words: a words file (salt-hls write-words) for the testbench vectors, else seeded stand-in
    jets; estimate: an estimate/report JSON (default PROJECT/estimate.json when present)."""
    from salt_hls.hls.convert import MODEL_COPY, PROJECT_NAME
    from salt_hls.ip import top as IP
    from salt_hls.settings import read_summary, require

    project, out = Path(project), Path(out)
    summary = read_summary(project)
    ip = IP.read_ip(project)
    settings = require(summary, "settings", project)
    if max_jets < 1:
        raise DataError(f"--max-jets must be >= 1, got {max_jets}")
    estimate_path = Path(estimate) if estimate else (project / "estimate.json" if (project / "estimate.json").is_file() else None)
    est = json.loads(estimate_path.read_text()) if estimate_path else None
    if est is not None and est.get("top") not in (PROJECT_NAME, ip["top"]):
        raise DataError(
            f"{estimate_path} is a report of {est.get('top')!r}, not of this project ({PROJECT_NAME}); give this project's estimate"
        )
    if words is not None:
        from salt_hls.l1input.writer import load_words

        cand, jets, _ = load_words(words)
        if cand.shape[1] < ip["candidates"]:
            raise DataError(
                f"{words} has {cand.shape[1]} words per jet; the IP takes {ip['candidates']}: write it with --candidates {ip['candidates']}"
            )
        cand, jets = cand[:max_jets, : ip["candidates"]], jets[:max_jets]
        vector_source = f"the first {len(jets)} jets of {Path(words).name}"
    else:
        cand, jets = IP.stand_in_words(max_jets, ip["candidates"], seed=1)
        vector_source = f"{max_jets} seeded stand-in jets (salt_hls.ip.top.stand_in_words, seed 1)"
    replace = check_out_dir(out, force)

    scores = IP.reference(project, cand, jets)  # TensorFlow: after every argument is checked
    if replace:
        shutil.rmtree(out)
    (out / "hls").mkdir(parents=True)
    shutil.copytree(project / "firmware", out / "hls" / "firmware")
    shutil.copy2(project / IP.TESTBENCH, out / "hls" / IP.TESTBENCH)
    import hls4ml

    lic = Path(hls4ml.__file__).parent.parent / f"hls4ml-{hls4ml.__version__}.dist-info" / "licenses" / "LICENSE"
    (out / "LICENSES").mkdir()
    if lic.is_file():
        shutil.copy2(lic, out / "LICENSES" / "hls4ml-LICENSE")
    (out / "LICENSES" / "NOTICE").write_text(
        "hls/firmware/nnet_utils and hls/firmware/ap_types come from hls4ml "
        f"{hls4ml.__version__} (Apache License 2.0, hls4ml-LICENSE); the ap_types headers that carry a Xilinx "
        "copyright are Apache-2.0 as stated in each file. The rest is generated by salt-hls.\n"
    )

    sources = [f"hls/firmware/{Path(s).name}" for s in ip["sources"] if s.endswith(".cpp")] + [f"hls/firmware/{PROJECT_NAME}.cpp"]
    for tool, name in tcl.TOOLS.items():
        (out / name).write_text(
            tcl.script(tool, ip["top"], sources, settings["part"], settings["clock_ns"], _clock_uncertainty(project))
        )

    tb = out / "testbench"
    tb.mkdir()
    (tb / "input_words.txt").write_text(
        f"{len(jets)}\n"
        + "".join(" ".join(["1", str(int(j)), *(str(int(c)) for c in cs)]) + "\n" for j, cs in zip(jets, cand, strict=True))
    )
    score_ports = [p for p in ip["ports"] if p["name"].startswith("score_")]
    fmt = score_ports[0]["format"]
    bits = score_bits(scores, fmt)
    (tb / "expected_scores.txt").write_text("".join("1 " + " ".join(f"{v:.17g}" for v in row) + "\n" for row in scores))
    (tb / "expected_bits.txt").write_text("".join(" ".join(row) + "\n" for row in bits))

    tool_path = {t: shutil.which(t) for t in tcl.TOOLS}
    preferred = tcl.BACKEND_TOOL[settings["backend"]]
    found = preferred if tool_path[preferred] else next((t for t, p in tool_path.items() if p), None)
    vendor = {
        "tool": found or preferred,
        "command": f"cd {out.name} && {tcl.command(found or preferred)}",
        "ran": False,
        "result": None,
    }
    if found and run_vendor:
        done = subprocess.run([found, "-f", tcl.TOOLS[found]], cwd=out, capture_output=True, text=True)
        (out / f"{found}.log").write_text(done.stdout + done.stderr)
        vendor.update(ran=True, result="ok" if done.returncode == 0 else f"failed (exit {done.returncode}, see {found}.log)")
    elif not found:
        vendor["note"] = (
            "no Vivado/Vitis HLS on PATH here: the sources are complete; finish the IP on a machine with the tool "
            "by running the command above (the IP lands in <top>_prj/solution1/impl/ip)"
        )

    meta_path = project / MODEL_COPY / "metadata.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    manifest = {
        MARKER: __version__,
        "top": ip["top"],
        "network_top": ip["network_top"],
        "sources": sorted(str(p.relative_to(out)) for p in (out / "hls").rglob("*") if p.is_file()),
        "synthesis_sources": sources,
        "interface": ip["interface"],
        "ports": ip["ports"],
        "timing": {
            "clock_ns": settings["clock_ns"],
            "clock_uncertainty": _clock_uncertainty(project),
            "part": settings["part"],
            "backend": settings["backend"],
            **_latency(est, settings),
            "estimate_file": str(estimate_path) if estimate_path else None,
        },
        "resources": (est["resources"] if est else None),
        "model": {
            "source": ip.get("source_model"),
            "firmware_model_sha256": sha256(project / MODEL_COPY / "model.h5"),
            "spec": meta.get("spec"),
            "classes": meta.get("classes"),
            "sort": meta.get("sort"),
            "quantization": meta.get("quantization"),
            "training": meta.get("training"),
            "data": meta.get("data"),
            "test_metrics": meta.get("test_metrics"),
        },
        "input_convention": {
            **ip["input_convention"],
            "candidates": ip["candidates"],
            "particles": ip["particles"],
            "pad": ip["pad"],
        },
        "testbench": {
            "source": vector_source,
            "jets": len(jets),
            "input": "testbench/input_words.txt: the number of jets, then per jet: in_valid, the jet word, "
            f"{ip['candidates']} candidate words (decimal uint64)",
            "expected": "testbench/expected_scores.txt: per jet out_valid and the scores g q W Z t (exact decimals, as the testbench prints them: diff its output with this file); "
            f"testbench/expected_bits.txt: the scores' {fmt} bit patterns (hex, two's complement)",
            "reference": "salt_hls.ip.top.reference: the NumPy input stage + salt_hls.emulate.Reference of the folded model",
            "run": TESTBENCH_RUN.format(tb=IP.TESTBENCH, network=PROJECT_NAME),
        },
        "vendor": {**vendor, "scripts": dict(tcl.TOOLS)},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def check_bundle(out) -> dict:
    """Compile the bundle's own testbench with g++ (from the bundle alone, as an integrator would) and
    compare its output with testbench/expected_scores.txt: {"jets", "bit_exact_jets", "first_mismatch"}."""
    out = Path(out)
    manifest = json.loads((out / MANIFEST).read_text())
    gxx = shutil.which("g++")
    if gxx is None:
        from salt_hls.errors import ConfigError

        raise ConfigError("g++ is not on PATH; install it (Debian: apt-get install g++) to C-simulate the bundle")
    from salt_hls.ip.top import TESTBENCH

    build = subprocess.run(
        [
            gxx,
            "-O1",
            "-std=c++14",
            "-Ihls/firmware",
            "-Ihls/firmware/ap_types",
            '-DWEIGHTS_DIR="hls/firmware/weights"',
            f"hls/{TESTBENCH}",
            *manifest["synthesis_sources"],
            "-o",
            "salt_ip_tb",
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        raise DataError(f"g++ could not build the testbench of {out}:\n{build.stderr[-4000:]}")
    try:
        with open(out / "testbench" / "input_words.txt") as fh:
            done = subprocess.run(["./salt_ip_tb"], cwd=out, stdin=fh, capture_output=True, text=True, check=True)
    finally:
        (out / "salt_ip_tb").unlink(missing_ok=True)
    got = done.stdout.splitlines()
    expected = (out / "testbench" / "expected_scores.txt").read_text().splitlines()
    same = [g == e for g, e in zip(got, expected, strict=False)]
    exact = sum(same) if len(got) == len(expected) else 0
    return {
        "jets": len(expected),
        "bit_exact_jets": exact,
        "first_mismatch": None
        if exact == len(expected)
        else (same.index(False) if False in same else min(len(got), len(expected))),
    }
