"""The report's plots as inline SVG: round ticks, one polyline per line, a legend."""

import xml.etree.ElementTree as ET

import numpy as np

from fusion_core.report.svg import Plot, ticks


def test_ticks_are_round_and_within_the_range():
    assert ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    assert ticks(400.0, 2500.0) == [500.0, 1000.0, 1500.0, 2000.0, 2500.0]
    assert ticks(3.0, 3.0) == [3.0]


def test_a_plot_is_well_formed_svg_with_its_lines_points_and_legend():
    plot = Plot(300, 200, "title", "x", "y")
    plot.line([0, 1, 2, np.nan], [0, 1, 4, 9], "#1f77b4", "a <line>")
    plot.points([1], [2], "#d62728", "points")
    root = ET.fromstring(plot.svg())
    names = [e.tag.split("}")[1] for e in root.iter()]
    assert names.count("polyline") == 1 and names.count("circle") >= 2       # the point and its legend
    polyline = next(e for e in root.iter() if e.tag.endswith("polyline"))
    assert len(polyline.get("points").split()) == 3                         # NaN left out
    assert "a <line>" in "".join(root.itertext())                             # escaped, shown
