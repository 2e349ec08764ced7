"""``DELIVERED.md`` from the results of :mod:`benchmarks.delivered`."""

from __future__ import annotations

__all__ = ["render", "READING"]

#: The heading of the hand-written reading, kept when the tables are written again.
READING = "## Reading"

_METHODS = ("default", "bicubic", "ridge (true PSF)")


def _cell(value: dict) -> str:
    if "PSNR" not in value:
        return value.get("note", "—")
    covered = value.get("covered", 1.0)
    text = f"{value['PSNR']:.2f} / {value['SAM']:.2f}°"
    return text + (f" ({covered:.0%} covered)" if covered < 0.995 else "")


def _region_cell(row: dict, method: str, area: str) -> str:
    result = row.get(method, {})
    if "note" in result:
        return "refused" if method == "default" else result["note"]
    value = result.get(area, {})
    if "note" in value and method == "default" and area == "under the LR-HSI's cloud":
        return "nodata (0 % covered)"
    return _cell(value)


def render(results: dict, previous: str = "") -> str:
    """The markdown page: per scene, per product form, per region, PSNR (dB) / SAM; the
    reading of ``previous`` (the page before) is kept."""
    lines = [
        "# Products as delivered: quality per form and per region",
        "",
        f"Machine: {results.get('machine', '?')}; date {results.get('date', '?')}; commit "
        f"{results.get('commit', '?')}. Reproduce: `.venv/bin/python -m benchmarks.delivered` "
        "(see its docstring for how the deliveries are built from `../shared/data`).",
        "",
        "Each cell: PSNR (dB) / SAM against the truth on that region's pixels. *clear*: away from "
        "both clouds by two LR pixels; *under the HR-MSI's cloud*: the LR-HSI sees the ground there, "
        "the result should follow it (at least bicubic's quality); *under the LR-HSI's cloud*: "
        "nothing of the ground is known at 30 m, the result must be nodata there.",
        "",
    ]
    for name, scene in results["scenes"].items():
        c, h, w = scene["shape"]
        shares = ", ".join(f"{k} {v:.1%}" for k, v in scene["regions"].items())
        lines += [f"## {name} ({w}×{h} HR pixels, {c} bands; regions: {shares})", ""]
        areas = list(scene["regions"])
        for area in areas:
            lines += [f"**{area}**", "", "| form | " + " | ".join(_METHODS) + " | run (s) |",
                      "|---|" + "---|" * (len(_METHODS) + 1)]
            for row in scene["rows"]:
                cells = [_region_cell(row, m, area) for m in _METHODS]
                lines.append(f"| {row['form']} | " + " | ".join(cells) + f" | {row['seconds']:.0f} |")
            lines.append("")
        refused = [(row["form"], row["default"]["note"]) for row in scene["rows"]
                   if "note" in row.get("default", {})]
        for form, note in refused:
            lines += [f"- {form}: {note}"]
        lines.append("")
    if READING in previous:
        lines.append(previous[previous.index(READING):].rstrip() + "\n")
    return "\n".join(lines)
