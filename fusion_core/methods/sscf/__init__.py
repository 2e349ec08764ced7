"""SSCF: spectral-mapping fusion with subspace data consistency (the default method)."""

from .method import SSCF

__all__ = ["SSCF"]
