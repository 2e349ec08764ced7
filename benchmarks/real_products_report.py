"""``REAL_PRODUCTS.md`` from the results of :mod:`benchmarks.real_products`."""

from __future__ import annotations

from pathlib import Path

from benchmarks.products import S2_10M, VARIANTS, ProductOptions

__all__ = ["describe", "render"]

_COMMAND = ".venv/bin/python -m benchmarks.real_products --shared ../shared/data"


def describe(opts: ProductOptions) -> str:
    """What a variant's files are, in a few words."""
    parts = []
    if opts.int16_swath:
        parts.append("LR int16 ×10⁴ (scale 1e-4, nodata −32768), tilted swath")
    if opts.s2_dn_offset:
        parts.append("MSI uint16 DN = ρ×10⁴ + 1000 (scale 1e-4, offset −0.1, nodata 0), nodata corner")
    if opts.larger_extent:
        parts.append("MSI wider on three sides, LR beyond the MSI on the fourth")
    if opts.lr_offset_m:
        parts.append(f"LR grid {opts.lr_offset_m:g} m east and south of the MSI's")
    if opts.neighbour_zone:
        parts.append("LR warped (bilinear) into the neighbouring UTM zone")
    if opts.stack_20m:
        parts.append("MSI: the 10 m bands + B5, B6, B7, B8A, B11, B12 stacked at 10 m "
                     f"({opts.stack_20m})")
    if not opts.wavelengths:
        parts.append("LR without wavelength metadata")
    east, north = opts.misregistration_m
    if east or north:
        off = (east ** 2 + north ** 2) ** 0.5 / (opts.scale * 10.0)
        parts.append(f"MSI georeferencing off by {east:+g} m E, {north:+g} m N ({off:.1f} LR px)")
    return "; ".join(parts) or f"control: nested grids, float32, no nodata, MSI {', '.join(S2_10M)}"


def _cell(result: dict) -> str:
    if "PSNR" not in result:
        return result.get("note", "—").replace("|", "/").replace("\n", " ")
    text = f"{result['PSNR']:.2f} / {result['SAM']:.2f} / {result['ERGAS']:.2f}"
    if result.get("covered", 1.0) < 0.999:
        text += f" (covers {100 * result['covered']:.0f} % of the area)"
    if result.get("grid_note"):
        text += f" ({result['grid_note']})"
    return text


def _verdict(row: dict) -> str:
    d = row["default"]
    if "PSNR" not in d:
        return "—"
    beats = all(d["PSNR"] > row[b].get("PSNR", float("-inf")) for b in ("bicubic", "ridge"))
    return "yes" if beats and d.get("covered", 0.0) >= 0.999 else "no"


def _versus_control(row: dict) -> str:
    """The default method's PSNR minus the tidy pair's, on this variant's pixels."""
    d, c = row["default"], row.get("control", {})
    return f"{d['PSNR'] - c['PSNR']:+.2f}" if "PSNR" in d and "PSNR" in c else "—"


def _scene_table(name: str, scene: dict) -> list[str]:
    c, h, w = scene["shape"]
    rows = scene["rows"]
    ran = [row for row in rows if "PSNR" in row["default"]]
    lines = [f"### {name} (truth {w}×{h} px at 10 m, {c} bands)", "",
             f"The default method ran on {len(ran)} of {len(rows)} variants and beat both baselines on "
             f"{sum(_verdict(row) == 'yes' for row in rows)}.", "",
             "| variant | default method: PSNR / SAM / ERGAS | bicubic (GDAL cubic) | ridge, true PSF "
             "and offset | default beats both | default − tidy pair, same pixels (dB) | LR nodata | "
             "area scored | default s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row['variant']}` | {_cell(row['default'])} | {_cell(row['bicubic'])} | "
                     f"{_cell(row['ridge'])} | {_verdict(row)} | {_versus_control(row)} | "
                     f"{100 * row['lr_nodata_share']:.0f} % | {100 * row['scored_share']:.0f} % | "
                     f"{row['seconds']:.1f} |")
    return lines + [""]


def _peer_rows(peers: Path) -> list[str]:
    """The independent methods' real-pair figures as ``PEERS.md`` reports them."""
    if not peers.is_file():
        return [f"({peers} is absent: the independent methods' figures are not shown.)"]
    rows = []
    for line in peers.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[1] not in ("this repo", "code") and not set(cells[1]) <= set("-"):
            rows.append(f"| {cells[0]} (PEERS.md; {cells[2]}) | {cells[4]} | — |")
    return rows


def _hyperion_ali(result: dict, peers: Path) -> list[str]:
    dy, dx = result["registration_hr_px"]
    ry, rx = result["reference_shift_px"]
    b = result["border"]
    lines = [
        "## Real Hyperion + ALI pair (Paris), every method given one registration", "",
        f"The pipeline measures, from the two inputs alone, that ALI's content lies {dy:+.2f} rows, "
        f"{dx:+.2f} columns of 30 m ({30 * dy:+.1f} m, {30 * dx:+.1f} m) from where Hyperion places "
        "it (`benchmarks/registration.py`: the estimation job's co-registration and PSF offset). "
        "Every method is given that shift: the default's output (on ALI's pixels) and the ridge "
        "map's are georeferenced by it on Hyperion's geometry (the ridge map is given the true PSF "
        "moved to it); bicubic lies on Hyperion's geometry already. Each output is warped (cubic) "
        "by its geotransform onto the reference's grid and scored on the whole 72×72 frame (what "
        f"`PEERS.md` scored) and without a border of {b} pixels. The run asking for GEOMETRY=hsi "
        "is scored by the geotransform it wrote, which "
        + ("is" if result["same_grid"] else "is NOT") + " the registration's. Cross-check: fitting "
        f"ALI on the reference itself gives {ry:+.2f} rows, {rx:+.2f} columns (unexplained variance "
        f"{100 * result['misfit_before']:.1f} % → {100 * result['misfit_after']:.1f} %). The "
        "`PEERS.md` rows are quoted as that file scored them, on the whole frame without this "
        "registration: they are not comparable with the rows above.", "",
        "| run (PSNR / SAM / ERGAS) | whole frame | interior |", "|---|---|---|"]
    for name, row in result["rows"].items():
        if "note" in row:
            lines.append(f"| {name} | {_cell(row)} | |")
            continue
        lines.append(f"| {name} | {_cell(row['hsi_full'])} | {_cell(row['hsi'])} |")
    lines += _peer_rows(peers)
    bound = result["linear_bound"]
    lines += ["", "Not a method, a bound: the best linear map from the registered ALI image to the "
              "reference, fitted on the reference's own pixels, scores "
              f"{_cell(bound['hsi_full'])} (whole frame), {_cell(bound['hsi'])} (interior): what a "
              "spectral map of ALI's detail can reach on this pair."]
    logs = [f"- {name}: {line}" for name, row in result["rows"].items() for line in row.get("log", [])]
    if logs:
        lines += ["", "What the plugin's log said about the shift:", *logs]
    return lines + [""]


def render(results: dict, peers: Path) -> str:
    """The whole markdown page."""
    lines = [
        "# Product-like pairs, fused with default parameters", "",
        f"Measured {results['date']} on {results['machine']}, commit `{results['commit']}`, by "
        f"`{_COMMAND}` (one command; it writes this file and `results/real_products_cpu.json`).", "",
        "Each real scene (surface reflectance, treated as the truth on a 10 m UTM grid at its real "
        "place) gives the pairs below (`benchmarks/products.py`): the LR-HSI (30 m, r = 3) is the "
        "truth seen through a Gaussian PSF of FWHM 3 HR pixels centred where each LR pixel really "
        "lies, with 40 dB noise; the HR-MSI (10 m) is the truth integrated by the Sentinel-2A SRF "
        "with 45 dB noise. Each pair is fused by `fusion_core.pipeline.fuse_files` with default "
        "parameters. Scores: PSNR (dB) / SAM (°) / ERGAS on the valid area (HR-MSI pixels under an "
        "LR pixel whose 3×3 neighbourhood is valid, with the HR-MSI valid within 3 pixels) against "
        "the truth on the HR-MSI's pixel grid. Every method of a row is given one registration: the "
        "misregistration the pipeline measures from the two inputs alone (`benchmarks/registration.py`, "
        "the estimation job's co-registration and PSF offset; never the truth's). The default finds "
        "it itself (the same code); bicubic is the LR-HSI warped by GDAL (cubic) onto the HR-MSI's "
        "pixels where that registration places them on the LR-HSI's geometry; ridge is the global "
        "ridge map (`benchmarks/baselines.py`) given the true PSF, its LR blocks where the two "
        "georeferencings moved by the registration put them (the LR-HSI of `utm_neighbour` warped "
        "back onto its own grid first): it knows the PSF the plugin must estimate. "
        "\"Default − tidy pair\": the default method's PSNR minus that of its result on the tidy "
        "pair (`stack_10m_only`) scored on the same pixels, where the variant shares the tidy "
        "pair's pixel grid: a nodata swath, "
        "scaled integers, another CRS or a misregistration should cost nothing there, and the "
        "20 m bands should gain.", "",
        "| variant | what the files are |", "|---|---|"]
    lines += [f"| `{name}` | {describe(opts)} |" for name, opts in VARIANTS.items()]
    lines += [""]
    for name, scene in results["scenes"].items():
        lines += _scene_table(name, scene)
    lines += _hyperion_ali(results["hyperion_ali"], peers)
    return "\n".join(lines)
