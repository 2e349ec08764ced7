"""The report as files: a self-contained HTML page (PNG images and SVG plots embedded) and a JSON
beside it.

The JSON holds every figure's numbers (format ``hsifusion-report``, version 1); the HTML shows
the same figures for a person, warnings first. Both are written under temporary names and
renamed when complete.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..io.raster import atomic_output

__all__ = ["FORMAT", "VERSION", "json_path", "write_report_files", "render_html", "plain"]

FORMAT = "hsifusion-report"
VERSION = 1

_STYLE = """
body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;
text-align:left;font-size:.9em}.warn{background:#fff3cd;border-left:4px solid #e0a800;
padding:.5em 1em;margin:.4em 0}.ok{background:#e8f5e9;border-left:4px solid #43a047;
padding:.5em 1em}img{max-width:100%}.note{color:#555;font-size:.9em}
img.look{width:340px;image-rendering:pixelated}
"""


def json_path(report: str | Path) -> Path:
    """Where the JSON of a report goes: beside it, same name, ``.json``."""
    return Path(report).with_suffix(".json")


def _table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in rows)
    return f"<table>{cells}</table>"


def _image(data: bytes | str, alt: str, css: str = "") -> str:
    """A PNG (bytes) as an ``<img>``, an SVG plot (text) as it is."""
    if isinstance(data, str):
        return f'<div role="img" aria-label="{html.escape(alt)}">{data}</div>'
    encoded = base64.b64encode(data).decode("ascii")
    extra = f' class="{css}"' if css else ""
    return f'<img alt="{html.escape(alt)}"{extra} src="data:image/png;base64,{encoded}">'


def _section(title: str, body: str, note: str = "") -> str:
    extra = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return f"<h2>{html.escape(title)}</h2>{extra}{body}"


def _maps(figures: dict[str, bytes | str], tops: dict[str, float], names: list[tuple[str, str]]) -> str:
    cells = "".join(
        f'<td>{_image(figures["map " + key], title)}<br>{html.escape(title)}: 0 (dark) to '
        f'{tops[key]:.1f} (yellow) noise units</td>' for key, title in names)
    return f"<table><tr>{cells}</tr></table>"


def _input_rows(inputs: dict) -> list[tuple[str, Any]]:
    """Each input as given, its product and acquisition time, and the days between them."""
    rows: list[tuple[str, Any]] = []
    for key, role in (("lr_hsi", "LR-HSI"), ("hr_msi", "HR-MSI")):
        if key in inputs:
            one = inputs[key]
            rows += [(role, one["given"]), (f"{role} product", one["product"]),
                     (f"{role} acquired", one["acquired"] or "unknown")]
    if inputs.get("days_apart") is not None:
        rows.append(("days between the acquisitions", f"{inputs['days_apart']:.1f}"))
    return rows or [("inputs", "not recorded")]


def _srf_rows(degradation: dict) -> list[tuple[str, Any]]:
    """Per MSI band, the share of its estimated SRF the pair pins down (the rest comes from the
    prior or from smoothness), and with a prior the standard error of its shift."""
    confidence = degradation.get("srf_confidence") or {}
    shares = confidence.get("determined_share")
    if shares is None:
        return []
    source = str(confidence.get("rest_from"))
    rest = {"prior": "the SRF prior", "smoothness": "smoothness alone"}.get(source, source)
    shifts = degradation.get("srf_shift_std_nm")
    rows: list[tuple[str, Any]] = [("SRF: share each band's curve the data pin down (rest from "
                                    f"{rest})", "")]
    for i, (name, share) in enumerate(zip(degradation["msi_band_names"], shares)):
        extra = ""
        if shifts is not None and i < len(shifts):
            extra = ("; shift not pinned by its pixels" if shifts[i] is None or not math.isfinite(shifts[i])
                     else f"; shift ±{shifts[i]:.1f} nm")
        rows.append((f"  {name}", f"{100 * share:.0f} %{extra}"))
    return rows


def render_html(facts: dict, figures: dict[str, bytes | str], notes: dict[str, str],
                tops: dict[str, float]) -> str:
    """The HTML page of a report: ``facts`` (the JSON's content), ``figures`` (PNG bytes or SVG
    text by name), ``notes`` (one explanatory sentence per section) and the maps' colour scale
    tops."""
    run = facts["run"]
    warnings = facts["warnings"]
    warn_html = ("".join(f'<div class="warn">{html.escape(w)}</div>' for w in warnings)
                 if warnings else '<div class="ok">Nothing looks off: the result gives back both '
                                  'inputs within their noise and the checks below agree.</div>')
    reduced = facts["reduced_resolution"]
    if "PSNR" in reduced:
        reduced_rows = [("", "method / bicubic"),
                        ("samples", f"{len(run.get('tiles_lr', [])) or 1} tile(s) over the whole scene"),
                        ("PSNR (dB)", f"{reduced['PSNR']:.2f} / {reduced['bicubic']['PSNR']:.2f}"),
                        ("SAM (°)", f"{reduced['SAM']:.3f} / {reduced['bicubic']['SAM']:.3f}"),
                        ("ERGAS", f"{reduced['ERGAS']:.3f} / {reduced['bicubic']['ERGAS']:.3f}"),
                        ("reduced LR-HSI (pixels)", "×".join(map(str, reduced["lr_pixels"]))),
                        ("counted in PSNR and ERGAS", f"map fitted on fewer pixels "
                         f"{reduced.get('fit_correction_db', 0.0):+.2f} dB; "
                         f"{100 * reduced.get('from_hsi_share', 0.0):.1f} % from the LR-HSI alone"),
                        ("time (s)", f"{reduced['seconds']:.1f}")]
    else:
        reduced_rows = [("not run", reduced["skipped"])]
    q = facts["hqnr"]
    c = facts["consistency"]
    degradation = facts["degradation"]
    parts = [
        f"<h1>HSI Fusion quality report</h1><p>{html.escape(run['method_label'])}, "
        f"{html.escape(run['date'])}; result: {html.escape(str(run['output']))}</p>"
        f"<p><b>{html.escape(facts['headline'])}</b></p>",
        _section("Warnings", warn_html),
        _section("Quick-looks (true colour)", "<table><tr>" + "".join(
            f'<td>{_image(figures["quicklook " + k], k, "look")}<br>{k}</td>'
            for k in ("LR-HSI", "HR-MSI", "result")) + "</tr></table>", notes["quicklook"]),
        _section("Consistency with the inputs",
                 _table([("geometry checked", c["geometry"]),
                         ("vs LR-HSI: median over bands (noise units)", f"{c['spatial']['noise_units_median']:.2f}"),
                         ("inputs vs each other (noise units)", f"{c['inputs']['noise_units_median']:.2f}")])
                 + _image(figures["consistency"], "consistency")
                 + _maps(figures, tops, [("spatial", "vs LR-HSI, per LR pixel")]),
                 notes["consistency"]),
        _section("Reduced-resolution check (Wald's protocol on this pair)", _table(reduced_rows),
                 notes["reduced"]),
        _section("No-reference index HQNR", _table(
            [("HQNR (1 is best)", f"{q['HQNR']:.4f}"), ("D_λ (spectral distortion, 0 is best)", f"{q['D_lambda']:.4f}"),
             ("D_S (spatial distortion, 0 is best)", f"{q['D_s']:.4f}")]), notes["hqnr"]),
        _section("Where the two images disagree", _table(
            [("share of the scene", f"{100 * facts['disagreement']['share']:.2f} %"),
             ("areas", facts["disagreement"]["areas"]),
             ("threshold (noise units, from the scene's spread)", f"{facts['disagreement']['threshold']:.1f}"),
             ("fused from the LR-HSI alone",
              "yes: the outlined areas (gaps of one pixel closed), widened by the PSF's reach, are "
              "the LR-HSI alone brought to the HR grid" if facts["disagreement"].get("fused_from_hsi")
              else "no: the method fused them from both images")])
            + _maps(figures, tops, [("disagreement", "LR-HSI vs HR-MSI (red: disagree)")]),
            notes["disagreement"]),
        _section("Degradation model", _table(
            [("ratio", degradation["scale"]),
             ("PSF FWHM (HR px, row × col)", " × ".join(f"{v:.2f}" for v in degradation["psf_fwhm_px"])),
             ("grid offset / misregistration (HR px, row, col)",
              ", ".join(f"{v:+.2f}" for v in degradation["misregistration_hr_px"])),
             ("radiometric gains HR-MSI / LR-HSI", ", ".join(f"{g:.3f}" for g in degradation["msi_gain"])),
             ("source", degradation["source"])] + _srf_rows(degradation))
            + _image(figures["degradation"], "PSF and SRF")),
        _section("Noise of the inputs", _table(
            [("LR-HSI: median SNR over bands", f"{facts['noise']['hsi_snr_db_median']:.1f} dB"),
             ("HR-MSI: SNR per band", ", ".join(
                 f"{name} {snr:.1f} dB" for name, snr in zip(degradation["msi_band_names"],
                                                           facts["noise"]["msi_snr_db"])))]),
            notes["noise"]),
        _section("Sample spectra before and after", _image(figures["spectra"], "spectra"),
                 notes["spectra"]),
        _section("Inputs", _table(_input_rows(facts.get("inputs") or {}))),
        _section("Run", _table([(k, v) for k, v in run["parameters"].items()])
                 + _table([(f"time: {k}", f"{v:.2f} s") for k, v in run["seconds"].items()]
                          + [(f"report time: {k}", f"{v:.2f} s") for k, v in run["report_seconds"].items()]
                          + [(f"report time: {k}, beside the rest", f"{v:.2f} s")
                             for k, v in run.get("report_seconds_beside", {}).items()])
                 + _table(list(run["versions"].items()))),
    ]
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>HSI Fusion quality report"
            f"</title><style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>")


def write_report_files(path: str | Path, facts: dict, figures: dict[str, bytes | str],
                       notes: dict[str, str], tops: dict[str, float]) -> None:
    """Write the HTML report at ``path`` and its JSON beside it, each atomically."""
    content = {"format": FORMAT, "version": VERSION, **facts, "figures": sorted(figures)}
    with atomic_output(json_path(path)) as tmp:
        # on one line: indenting takes json's pure-Python encoder, 0.08 s of a 512² scene's report
        Path(tmp).write_text(json.dumps(plain(content), allow_nan=False), encoding="utf-8")
    with atomic_output(path) as tmp:
        Path(tmp).write_text(render_html(facts, figures, notes, tops), encoding="utf-8")


def plain(value: Any) -> Any:
    """``value`` with numpy arrays and numbers as lists and floats, NaN and infinities as None
    (strict JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":     # the maps: no walk per value
        finite = np.isfinite(value)
        if finite.all():
            return value.tolist()
        holed = value.astype(object)
        holed[~finite] = None
        return holed.tolist()
    if hasattr(value, "tolist"):
        return plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
