"""What the engine measures of a pair against its degradation model, for the fusion and the report
alike: the inputs' noise and the model's residuals in noise units (:mod:`.consistency`), where the
two inputs disagree (:mod:`.disagreement`), the crop the noise is measured on (:mod:`.crop`) and
one pass over the whole scene (:mod:`.scene_pass`).

Importing this package loads nothing heavy; import the modules you need.
"""
