"""Find the report files inside a project directory (hls4ml, plain Vivado/Vitis HLS, vitis-run).

Layouts handled, first match wins:
  <dir>/project.tcl + <name>_prj/<solution>/syn/report/<top>_csynth.xml   (hls4ml, Vivado or Vitis)
  <dir>/<prj>/<solution>/syn/report/...                                  (any HLS project)
  <dir>/[<component>/]hls/syn/report/...                                 (Vitis 2023.2+ vitis-run/v++)
  <dir>/<solution>/syn/report/... or <dir>/syn/report/...                (a project or solution dir)
  <dir>/*.xml|*.rpt                                                      (loose report files)
and vivado_synth.rpt (report_utilization, written by hls4ml's vivado_synth.tcl) next to them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from salt_hls.errors import DataError

_APP_FILES = ("vivado_hls.app", "hls.app")


@dataclass
class Located:
    csynth: Path
    utilization: Path | None
    hls4ml_project: Path | None  # the hls4ml output dir when hls4ml.report can read it


def hls4ml_project_name(directory: Path) -> tuple[str, str] | None:
    """(project_name, backend) from an hls4ml project.tcl, or None when there is none."""
    tcl = directory / "project.tcl"
    if not tcl.is_file():
        return None
    text = tcl.read_text(errors="replace")
    name = re.search(r'^\s*set project_name\s+"?([^"\s]+)"?', text, re.M)
    backend = re.search(r'^\s*set backend\s+"?([^"\s]+)"?', text, re.M)
    if name is None:
        raise DataError(f"{tcl}: expected a 'set project_name \"...\"' line as hls4ml writes it")
    return name.group(1), (backend.group(1) if backend else "")


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
    text, <top>_csynth before the csynth summary Vitis writes, and a single candidate otherwise."""
    names = [f"{top}_csynth.xml", "csynth.xml", f"{top}_csynth.rpt", "csynth.rpt"] if top else ["csynth.xml", "csynth.rpt"]
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
                    "project.tcl or vivado_hls.app naming the top function; pass the report file itself"
                )
    return None


def _candidates(directory: Path) -> list[tuple[Path, str | None, bool]]:
    """(report dir, top function, hls4ml.report can read it) in the order they are tried."""
    out: list[tuple[Path, str | None, bool]] = []
    project = hls4ml_project_name(directory)
    top = None
    if project is not None:
        name, backend = project
        top = name + "_axi" if "accelerator" in backend else name  # as hls4ml.report does
        prj = directory / f"{name}_prj"
        _, solutions = _app_info(prj)
        # hls4ml.report takes the first solution listed in the app file, and needs that file.
        out += [(prj / sol / "syn" / "report", top, i == 0) for i, sol in enumerate(solutions)]
        if not solutions and prj.is_dir():
            out += [(d, top, False) for d in sorted(prj.glob("*/syn/report"))]
    else:
        for prj in sorted(p for p in directory.iterdir() if p.is_dir()):
            app_top, solutions = _app_info(prj)
            out += [(prj / sol / "syn" / "report", app_top, False) for sol in solutions]
    # A project dir holds the app file; a solution dir's parent does.
    app_top = _app_info(directory)[0] or _app_info(directory.parent)[0]
    top = app_top or top
    dirs = [*sorted(directory.glob("*/hls/syn/report")), directory / "hls/syn/report", directory / "syn/report"]
    dirs += [*sorted(directory.glob("*/syn/report")), directory]
    return out + [(d, top, False) for d in dirs]


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
        "(hls4ml, Vivado HLS, Vitis HLS), <component>/hls/syn/report/csynth.xml (vitis-run) or a loose "
        "*_csynth.xml/.rpt. Run 'salt-hls synth' first, or pass the report file"
    )


def _find_utilization(directory: Path, report_dir: Path) -> Path | None:
    for cand in (directory / "vivado_synth.rpt", report_dir / "vivado_synth.rpt"):
        if cand.is_file():
            return cand
    return None
