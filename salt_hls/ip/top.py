"""The tagger IP: the Level-1 input stage and the hls4ml network in one HLS top function.

`build_ip` converts the model with the normalization folded into its first layer (network.py)
through the ordinary converter, then writes our own top function next to the hls4ml project,
firmware/salt_ip.cpp, which calls nnet::salt_input_stage and then the hls4ml top function: the
way trigger groups wrap an hls4ml network, leaving the hls4ml project untouched (its own
testbench, C simulation and estimate still work on the network alone).

The top's ports are written once, in `ports()`: the C++ signature, the testbench and the export
manifest are all generated from that list. Interface: free-running (ap_ctrl_none), pipelined at
II = 1, every port a plain wire (ap_none); in_valid travels through the pipeline beside the data
and comes out as out_valid with the scores of the same jet.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from salt_hls.errors import ConfigError, DataError
from salt_hls.l1input import words as W
from salt_hls.l1input.sortnet import next_pow2
from salt_hls.l1input.stage import StageConfig

IP_TOP = "salt_ip"
IP_SOURCES = ("firmware/salt_ip.h", "firmware/salt_ip.cpp", "firmware/salt_input_stage.h")
TESTBENCH = "salt_ip_tb.cpp"
TEMPLATES = Path(__file__).resolve().parents[2] / "hls_templates"
CLASSES = ("g", "q", "W", "Z", "t")
WORD_BITS = 64
SUMMARY_KEY = "ip"


def ports(n_candidates: int, score_type: str) -> list[dict]:
    """Every port of the IP top, in signature order: name, direction, width in bits, C++ type,
    fixed-point format and meaning."""
    from salt_hls.estimate.project import parse_type

    score_bits = parse_type(score_type).width
    word = f"ap_uint<{WORD_BITS}>"
    out = [
        {
            "name": f"cand_{i}",
            "direction": "in",
            "width": WORD_BITS,
            "ctype": word,
            "format": "uint64",
            "meaning": f"PUPPI candidate word {i} of the jet (l1ct::PuppiObj::pack layout; pT = 0: empty slot; any order)",
        }
        for i in range(n_candidates)
    ]
    out.append(
        {
            "name": "jet",
            "direction": "in",
            "width": WORD_BITS,
            "ctype": word,
            "format": "uint64",
            "meaning": "the jet word (l1ct::Jet: pT, eta, phi in the PUPPI layout's first 37 bits)",
        }
    )
    out.append(
        {
            "name": "in_valid",
            "direction": "in",
            "width": 1,
            "ctype": "bool",
            "format": "bool",
            "meaning": "the words on the inputs this clock are a jet",
        }
    )
    out += [
        {
            "name": f"score_{c}",
            "direction": "out",
            "width": score_bits,
            "ctype": "result_t",
            "format": score_type,
            "meaning": f"quantized logit of class {c} (softmax left to software; larger = more {c}-like)",
        }
        for c in CLASSES
    ]
    out.append(
        {
            "name": "out_valid",
            "direction": "out",
            "width": 1,
            "ctype": "bool",
            "format": "bool",
            "meaning": "the scores on the outputs this clock belong to a jet that arrived with in_valid (latency clocks earlier)",
        }
    )
    return out


def _signature(port_list: list[dict]) -> str:
    args = [(f"const {p['ctype']} {p['name']}" if p["direction"] == "in" else f"{p['ctype']} &{p['name']}") for p in port_list]
    return f"void {IP_TOP}(\n    " + ",\n    ".join(args) + ")"


def write_sources(project: Path, cfg: StageConfig, port_list: list[dict], network_top: str) -> None:
    n_classes = sum(p["name"].startswith("score_") for p in port_list)
    (project / "firmware" / "salt_ip.h").write_text(
        '// The SAL-T tagger IP top (written by salt-hls ip; ports and their meaning in salt_summary.json "ip").\n'
        '#ifndef SALT_IP_H_\n#define SALT_IP_H_\n\n#include "ap_int.h"\n#include "defines.h"\n\n'
        f"{_signature(port_list)};\n\n#endif\n"
    )
    interface = "\n".join(f"#pragma HLS INTERFACE ap_none port = {p['name']}" for p in port_list)
    gather = "\n".join(f"    cands[{i}] = cand_{i};" for i in range(cfg.n_in))
    scatter = "\n".join(
        f"    {p['name']} = scores[{i}];" for i, p in enumerate(q for q in port_list if q["name"].startswith("score_"))
    )
    (
        project / "firmware" / "salt_ip.cpp"
    ).write_text(f"""// The SAL-T tagger IP: Level-1 words in, class scores out (written by salt-hls ip).
// Free-running pipeline (no block handshake), II = 1: a jet may arrive every clock; in_valid
// travels with it and comes out as out_valid beside its scores.
#include "salt_ip.h"
#include "salt_input_stage.h"
#include "{network_top}.h"

struct salt_ip_stage_config : nnet::salt_input_stage_config {{
    static const unsigned n_in = {cfg.n_in}, n_out = {cfg.n_out}, sort_in = {next_pow2(cfg.n_in)}, sort_out = {next_pow2(cfg.n_out)};
    static const unsigned index_bits = {cfg.index_bits};
    // an empty slot carries the normalization centre: the folded first layer then gives the trained bias
    static const int pad_pt = {cfg.pad[0]}, pad_deta = {cfg.pad[1]}, pad_dphi = {cfg.pad[2]};
}};

{_signature(port_list)} {{
#pragma HLS INTERFACE ap_ctrl_none port = return
{interface}
#pragma HLS PIPELINE II = 1
    ap_uint<64> cands[{cfg.n_in}];
#pragma HLS ARRAY_PARTITION variable = cands complete
{gather}
    input_t features[{cfg.n_out} * 3];
#pragma HLS ARRAY_PARTITION variable = features complete
    nnet::salt_input_stage<salt_ip_stage_config, input_t>(cands, jet, features);
    result_t scores[{n_classes}];
#pragma HLS ARRAY_PARTITION variable = scores complete
    {network_top}(features, scores);
{scatter}
    out_valid = in_valid;
}}
""")
    shutil.copy2(TEMPLATES / "salt_input_stage.h", project / "firmware" / "salt_input_stage.h")
    call = ", ".join(
        ["w[" + str(i + 1) + "]" for i in range(cfg.n_in)]
        + ["w[0]", "valid"]
        + [p["name"] for p in port_list if p["direction"] == "out"]
    )
    decls = "\n".join(f"        {p['ctype']} {p['name']};" for p in port_list if p["direction"] == "out")
    prints = " ".join(f'std::printf(" %.17g", {p["name"]}.to_double());' for p in port_list if p["name"].startswith("score_"))
    (project / TESTBENCH).write_text(f"""// g++ testbench of the IP top (salt_hls/ip/top.py compiles and drives it).
// stdin: the number of jets, then per jet: in_valid, the jet word, {cfg.n_in} candidate words (decimal).
// stdout: per jet: out_valid and the {n_classes} scores.
#include <cstdio>
#include <iostream>

#include "salt_ip.h"

int main() {{
    unsigned long long n_jets;
    if (!(std::cin >> n_jets))
        return 2;
    for (unsigned long long j = 0; j < n_jets; j++) {{
        unsigned long long v;
        int valid_in;
        ap_uint<64> w[{cfg.n_in + 1}];
        if (!(std::cin >> valid_in))
            return 2;
        const bool valid = valid_in != 0;
        for (unsigned i = 0; i < {cfg.n_in + 1}; i++) {{
            if (!(std::cin >> v))
                return 2;
            w[i] = v;
        }}
{decls}
        {IP_TOP}({call});
        std::printf("%d", out_valid ? 1 : 0);
        {prints}
        std::printf("\\n");
    }}
    return 0;
}}
""")


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_model_dir(model_dir: Path) -> dict:
    """The model's metadata, read without TensorFlow (arguments are checked before the import)."""
    meta = model_dir / "metadata.json"
    if not (model_dir / "model.h5").is_file() or not meta.is_file():
        raise DataError(
            f"no model at {model_dir}: expected a directory with model.h5 and metadata.json (as written by `salt-hls train`)"
        )
    return json.loads(meta.read_text())


def stand_in_words(n_jets: int, n_candidates: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded jets of candidate words shaped like a boosted jet's (a few hard particles within dR
    ~0.4, the rest soft, some slots empty, jets across the phi = +-pi line): testbench vectors
    that need no data file."""
    r = np.random.default_rng(seed)
    jeta = r.integers(-1000, 1000, n_jets)
    jphi = r.integers(-720, 720, n_jets)
    pt = np.round(r.exponential(40.0, (n_jets, n_candidates)) * 4).astype(np.int64)
    pt[r.random((n_jets, n_candidates)) < 0.25] = 0
    pt = np.clip(pt, 0, W.PT_MAX)
    eta = np.clip(jeta[:, None] + np.round(r.normal(0, 30, (n_jets, n_candidates))), -2048, 2047).astype(np.int64)
    phi = W.wrap_phi(jphi[:, None] + np.round(r.normal(0, 30, (n_jets, n_candidates))).astype(np.int64))
    return W.pack(pt, eta, phi), W.pack(np.full(n_jets, 4000), jeta, jphi)


def build_ip(model_dir, out_dir, settings=None, n_candidates: int | None = None, force: bool = False) -> dict:
    """Convert the model (normalization folded, native input) and write the IP top beside the
    hls4ml project in out_dir; returns the IP's summary (also written to salt_summary.json "ip")."""
    from salt_hls.hls.convert import check_output_dir
    from salt_hls.settings import SUMMARY_FILE, ConvertSettings

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    meta = _check_model_dir(model_dir)
    n = int(meta["spec"]["n_particles"])
    m = n if n_candidates is None else int(n_candidates)
    StageConfig(n, m)  # refuses M < N before TensorFlow
    settings = settings or ConvertSettings()
    settings.validate()
    check_output_dir(out_dir, force)

    from salt_hls.hls.convert import PROJECT_NAME, convert
    from salt_hls.ip.network import fold_model
    from salt_hls.l1input.stage import run
    from salt_hls.model.io import load_model, save_model

    model, meta = load_model(model_dir)
    folded_model, folded_meta, folded = fold_model(model, meta)
    cfg = StageConfig(n, m, pad=folded.pad)
    cand, jets = stand_in_words(100, m)
    tb_inputs = run(cand, jets, cfg)[0].astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        save_model(folded_model, tmp, folded_meta, overwrite=True)
        convert(folded_model, out_dir, settings, force=force, tb_inputs=tb_inputs, metadata=folded_meta, source=tmp)

    summary_path = out_dir / SUMMARY_FILE
    summary = json.loads(summary_path.read_text())
    port_list = ports(m, summary["firmware_output"]["type"])
    write_sources(out_dir, cfg, port_list, PROJECT_NAME)
    stage = folded_meta["input_stage"]
    ip = {
        "top": IP_TOP,
        "sources": list(IP_SOURCES),
        "network_top": PROJECT_NAME,
        "source_model": {"path": str(model_dir), "sha256": _sha256(model_dir / "model.h5")},
        "candidates": m,
        "particles": n,
        "pad": list(cfg.pad),
        "interface": "ap_ctrl_none (free-running), every port ap_none, pipelined at II = 1; out_valid is in_valid "
        "delayed by the latency, beside the scores of the same jet",
        "ports": port_list,
        "input_convention": {
            "candidate_word": {
                "layout": "CMSSW DataFormats/L1TParticleFlow l1ct::PuppiObj::pack",
                "bits": W.PUPPI_BITS,
                "fields": {
                    "pt": {"bits": [0, 13], "type": "ap_ufixed<14,12>", "unit": "0.25 GeV"},
                    "eta": {"bits": [14, 25], "type": "ap_int<12>", "unit": "pi/720 rad"},
                    "phi": {"bits": [26, 36], "type": "ap_int<11>", "unit": "pi/720 rad"},
                    "pid": {"bits": [37, 39]},
                    "data": {"bits": [40, 60], "note": "unused by the tagger"},
                },
                "empty": "pt = 0 (eta, phi ignored)",
            },
            "jet_word": {"layout": "l1ct::Jet: pt, eta, phi in the same bits as a candidate", "used": ["eta", "phi"]},
            "order": "any: the IP keeps the N highest-pT words (bitonic network, ties to the earlier word) and sorts them by "
            "k_T = pT * dR descending (exact integer pT^2 * dR^2; ties: higher pT, then earlier word)",
            "deltas": "deta = eta - eta_jet, dphi = phi - phi_jet wrapped into one turn, both saturated to ap_int<10> (+-512 x pi/720)",
            "normalization": f"folded into the first layer: weights on 2^-{stage['weight_frac']} ({stage['kernel_format']}), "
            f"bias {stage['bias_format']}; empty slots carry {tuple(cfg.pad)} (the normalization centre in "
            "native units), where the folded layer gives exactly the trained bias",
            "folded_from": stage["folded_from"],
        },
    }
    summary[SUMMARY_KEY] = ip
    summary["firmware_input"] = {
        **summary["firmware_input"],
        "features": stage["features"],
        "units": stage["units"],
        "order": "the input stage's k_T order (firmware/salt_ip.cpp sorts)",
        "normalization": ip["input_convention"]["normalization"],
        "padding": f"{tuple(cfg.pad)} in native units",
    }
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    return ip


def read_ip(project) -> dict:
    from salt_hls.settings import read_summary

    summary = read_summary(project)
    if SUMMARY_KEY not in summary:
        raise DataError(
            f'{project} has no input stage (no "ip" in its salt_summary.json); build the IP with '
            "`salt-hls ip MODEL --out DIR [--candidates M]`"
        )
    return summary[SUMMARY_KEY]


def stage_config(ip: dict) -> StageConfig:
    return StageConfig(ip["particles"], ip["candidates"], pad=tuple(ip["pad"]))


def reference(project, candidates: np.ndarray, jets: np.ndarray) -> np.ndarray:
    """The whole IP, bit-exact: the NumPy stage, then salt_hls.emulate.Reference of the folded model
    stored in the project. Scores (jets, classes) as float64 on their fixed-point grid."""
    from salt_hls.emulate import Reference
    from salt_hls.hls.convert import MODEL_COPY
    from salt_hls.l1input.stage import run
    from salt_hls.model.io import load_model

    ip = read_ip(project)
    features, _ = run(candidates, jets, stage_config(ip))
    model, _ = load_model(Path(project) / MODEL_COPY)
    # + 0.0: a fixed-point zero has no sign; float arithmetic can leave -0.0, which prints as "-0"
    return np.asarray(Reference(model).run(features.astype(np.float64)), np.float64) + 0.0


def compile_ip(project) -> Path:
    """g++ build of the IP's testbench (the stage, the wrapper and the hls4ml network); returns the executable."""
    project = Path(project)
    read_ip(project)
    gxx = shutil.which("g++")
    if gxx is None:
        raise ConfigError("g++ is not on PATH; install it (Debian: apt-get install g++) to C-simulate the IP")
    from salt_hls.hls.convert import PROJECT_NAME

    exe = project / "salt_ip_tb"
    cmd = [
        gxx,
        "-O1",
        "-std=c++14",
        "-Ifirmware",
        "-Ifirmware/ap_types",
        f'-DWEIGHTS_DIR="{project.resolve() / "firmware" / "weights"}"',
        TESTBENCH,
        "firmware/salt_ip.cpp",
        f"firmware/{PROJECT_NAME}.cpp",
        "-o",
        exe.name,
    ]
    done = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"g++ could not build the IP testbench in {project}:\n{done.stderr[-4000:]}")
    return exe


def run_ip(exe, candidates: np.ndarray, jets: np.ndarray, valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores (jets, classes) float64, out_valid (jets,) bool) that the C++ IP computes."""
    candidates = np.asarray(candidates, np.uint64)
    jets = np.asarray(jets, np.uint64)
    valid = np.ones(len(jets), bool) if valid is None else np.asarray(valid, bool)
    rows = [f"{len(jets)}"] + [
        " ".join([str(int(v)), str(int(j)), *(str(int(c)) for c in cs)]) for v, j, cs in zip(valid, jets, candidates, strict=True)
    ]
    done = subprocess.run([str(exe)], input="\n".join(rows) + "\n", capture_output=True, text=True, check=True)
    out = np.array([[float(v) for v in line.split()] for line in done.stdout.splitlines()], np.float64)
    return out[:, 1:], out[:, 0].astype(bool)
