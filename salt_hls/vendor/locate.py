"""Find the report files inside a project directory (hls4ml, plain Vivado/Vitis HLS, vitis-run).

Layouts handled, first match wins:
  <dir>/project.tcl + <name>_prj/<solution>/syn/report/<top>_csynth.xml   (hls4ml, Vivado or Vitis)
  <dir>/<prj>/<solution>/syn/report/...                                  (any HLS project)
  <dir>/[<component>/[<work>/]]hls/syn/report/...                        (Vitis 2023.2+ vitis-run/v++,
                                                                          unified IDE workspace)
  <dir>/<solution>/syn/report/... or <dir>/syn/report/...                (a project or solution dir)
  <dir>/*.xml|*.rpt                                                      (loose report files)
and vivado_synth.rpt (report_utilization, written by hls4ml's vivado_synth.tcl) next to them.
hls4ml's project.tcl names the project `set project_name "..."` (older hls4ml: `set myproject "..."`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from salt_hls.errors import DataError

_APP_FILES = ("vivado_hls.app", "hls.app")
# How far below the given directory hls/syn/report is looked for: <component>/<work>/ in a
# Vitis unified IDE workspace. Deeper trees are not searched (a workspace can be large).
UNIFIED_DEPTH = 2


@dataclass(frozen=True)
class Hls4mlProject:
    name: str  # the project name: <name>_prj is the HLS project
    backend: str
    readable_by_hls4ml: bool  # hls4ml.report needs 'set project_name' and 'set backend' lines


@dataclass
class Located:
    csynth: Path
    utilization: Path | None
    hls4ml_project: Path | None  # the hls4ml output dir when hls4ml.report can read it


def hls4ml_project_name(directory: Path) -> tuple[str, str] | None:
    """(project_name, backend) from an hls4ml project.tcl, or None when there is none."""
    project = hls4ml_project(directory)
    return None if project is None else (project.name, project.backend)


def hls4ml_project(directory: Path) -> Hls4mlProject | None:
    """The project an hls4ml project.tcl names, or None when there is no project.tcl."""
    tcl = Path(directory) / "project.tcl"
    if not tcl.is_file():
        return None
    text = tcl.read_text(errors="replace")
    name = re.search(r'^\s*set project_name\s+"?([^"\s]+)"?', text, re.M)
    old_name = re.search(r'^\s*set myproject\s+"?([^"\s]+)"?', text, re.M)
    backend = re.search(r'^\s*set backend\s+"?([^"\s]+)"?', text, re.M)
    if name is None and old_name is None:
        raise DataError(
            f"{tcl}: expected a 'set project_name \"...\"' line as hls4ml writes it "
            "(or 'set myproject \"...\"' as hls4ml before 0.6 did)"
        )
    return Hls4mlProject(
        name=(name or old_name).group(1),
        backend=backend.group(1) if backend else "",
        readable_by_hls4ml=name is not None and backend is not None,
    )


def _app_info(prj: Path) -> tuple[str | None, list[str]]:
    """Top function and solution names from the project's vivado_hls.app / hls.app."""
    for name in _APP_FILES:
        app = prj / name
        if app.is_file():
            # The two app flavours differ only in namespaces; drop them so plain paths work.
            text = re.sub(r'\sxmlns(:\w+)?="[^"]+"', "", app.read_text(errors="replace"))
            text = re.sub(r"<(/?)\w+:", r"<\1", text)
            try:
                root = ET.fromstring(text)
            except ET.ParseError as err:
                raise DataError(f"{app}: not a well-formed HLS project file ({err})") from None
            return root.get("top"), [s.get("name") for s in root.iter("solution") if s.get("name")]
    return None, []


def _pick_csynth(report_dir: Path, top: str | None) -> Path | None:
    """The top function's C-synthesis report in a syn/report (or loose) directory: XML before
    text, <top>_csynth before the csynth.xml/.rpt summary Vitis writes (its csynth.rpt states no
    clock periods), and a single candidate otherwise."""
    if top is None and (report_dir / "csynth.xml").is_file():
        return report_dir / "csynth.xml"
    top = top or _top_from_csynth_rpt(report_dir / "csynth.rpt")
    names = [f"{top}_csynth.xml", "csynth.xml", f"{top}_csynth.rpt", "csynth.rpt"] if top else ["csynth.rpt"]
    for name in names:
        if (report_dir / name).is_file():
            return report_dir / name
    if top is None:
        for suffix in (".xml", ".rpt"):
            found = sorted(report_dir.glob(f"*_csynth{suffix}"))
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise DataError(
                    f"{report_dir}: several C-synthesis reports ({', '.join(f.name for f in found)}) and no "
                    "project.tcl, vivado_hls.app or csynth.rpt naming the top function; pass the report file itself"
                )
    return None


def _top_from_csynth_rpt(path: Path) -> str | None:
    """Both text forms of csynth.rpt name the top function in their first lines."""
    if not path.is_file():
        return None
    with path.open(errors="replace") as f:
        head = f.read(2000)
    m = re.search(r"^== (?:(?:Vivado|Vitis) HLS Report for|Synthesis Summary Report of) '([^']+)'", head, re.M)
    return m.group(1) if m else None


def _candidates(directory: Path) -> list[tuple[Path, str | None, bool]]:
    """(report dir, top function, hls4ml.report can read it) in the order they are tried."""
    out: list[tuple[Path, str | None, bool]] = []
    project = hls4ml_project(directory)
    top = None
    if project is not None:
        prj = directory / f"{project.name}_prj"
        app_top, solutions = _app_info(prj)
        # The app file names the top; project.tcl only the project (hls4ml.report appends _axi for
        # the accelerator backends and reads <top>_csynth.xml of the first solution listed).
        hls4ml_top = project.name + "_axi" if "accelerator" in project.backend else project.name
        top = app_top or hls4ml_top
        out += [
            (prj / sol / "syn" / "report", top, i == 0 and project.readable_by_hls4ml and top == hls4ml_top)
            for i, sol in enumerate(solutions)
        ]
        if not solutions and prj.is_dir():
            out += [(d, top, False) for d in sorted(prj.glob("*/syn/report"))]
    else:
        for prj in sorted(p for p in directory.iterdir() if p.is_dir()):
            app_top, solutions = _app_info(prj)
            out += [(prj / sol / "syn" / "report", app_top, False) for sol in solutions]
    # A project dir holds the app file; a solution dir's parent does.
    app_top = _app_info(directory)[0] or _app_info(directory.parent)[0]
    top = app_top or top
    dirs = [*_unified_report_dirs(directory, top), directory / "syn/report"]
    dirs += [*sorted(directory.glob("*/syn/report")), directory]
    return out + [(d, top, False) for d in dirs]


def _unified_report_dirs(directory: Path, top: str | None) -> list[Path]:
    """The hls/syn/report directory that vitis-run (<component>/hls/) or the unified IDE
    (<workspace>/<component>/<work>/hls/) writes, searched breadth-first to UNIFIED_DEPTH levels in
    name order; the shallowest level that has one with a C-synthesis report wins, and two there
    (two components, say) are ambiguous."""
    level = [directory]
    for _ in range(UNIFIED_DEPTH + 1):
        found = [d / "hls" / "syn" / "report" for d in level if (d / "hls" / "syn" / "report").is_dir()]
        with_report = [d for d in found if _pick_csynth(d, top) is not None]
        if len(with_report) > 1:
            names = ", ".join(str(d.relative_to(directory)) for d in with_report)
            raise DataError(
                f"{directory}: several HLS components with C-synthesis reports ({names}); "
                "pass the component directory (or the report file) you mean"
            )
        if with_report:
            return with_report
        level = sorted(c for d in level for c in _subdirs(d))
    return []


def _subdirs(directory: Path) -> list[Path]:
    try:
        return [c for c in directory.iterdir() if c.is_dir() and not c.name.startswith(".")]
    except OSError:
        return []


def locate(directory: Path) -> Located:
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory} is not a directory")
    for report_dir, top, hls4ml_ok in _candidates(directory):
        if not report_dir.is_dir():
            continue
        csynth = _pick_csynth(report_dir, top)
        if csynth is not None:
            via_hls4ml = hls4ml_ok and csynth.name == f"{top}_csynth.xml"
            return Located(
                csynth=csynth,
                utilization=_find_utilization(directory, report_dir),
                hls4ml_project=directory if via_hls4ml else None,
            )
    raise DataError(
        f"{directory}: no C-synthesis report found; expected <project>_prj/solution1/syn/report/<top>_csynth.xml "
        "(hls4ml, Vivado HLS, Vitis HLS), [<component>/[<work>/]]hls/syn/report/csynth.xml (vitis-run, Vitis "
        f"unified IDE; searched {UNIFIED_DEPTH} levels deep) or a loose *_csynth.xml/.rpt or csynth.rpt. "
        "Run 'salt-hls synth' first, or pass the report file"
    )


def _find_utilization(directory: Path, report_dir: Path) -> Path | None:
    for cand in (directory / "vivado_synth.rpt", report_dir / "vivado_synth.rpt"):
        if cand.is_file():
            return cand
    return None
