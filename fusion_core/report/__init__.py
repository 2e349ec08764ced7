"""The quality report of a fusion run: how far a result can be trusted without a reference.

Consistency of the result with both inputs in units of their measured noise
(:mod:`fusion_core.measure.consistency`), a reduced-resolution check on the user's own pair
(:mod:`.reduced`), the HQNR no-reference index (:mod:`.qnr`), the areas where the two inputs
disagree (:mod:`fusion_core.measure.disagreement`), warnings in plain words (:mod:`.alerts`), all
computed in one pass over the scene, made while the windows write the result
(:mod:`.region_scan`), plus tiles spread over the whole scene (:mod:`.tiles`), and written as a
self-contained HTML page (SVG plots, :mod:`.svg`) with a JSON of the same figures
(:mod:`.render`, :mod:`.write`). The report is computed from a finished run's facts
(:class:`.assemble.ReportInputs`) and never imports the pipeline: the pipeline
(:mod:`fusion_core.pipeline.reporting`) calls it before the windows and after them in every run
that writes REPORT (by default, beside a file output), CONSISTENCY_MAP or AGREEMENT.

Importing this package loads nothing heavy; import the modules you need.
"""
