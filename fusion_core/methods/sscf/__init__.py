"""SSCF: spectral-mapping fusion with subspace data consistency (the default method)."""
