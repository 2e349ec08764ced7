"""`make benchmark`: every committed figure that runs in reasonable time on a 2-core CPU.

1. the seed-methods benchmark: classical baselines and every catalogue method (fast preset),
   blind, on all scenes at r = 4 and 8, plus the default method with the true PSF/SRF (oracle);
   the harder protocol (PSFs larger than r, SRF +10 nm, 30 dB) and the real Hyperion/ALI pair;
2. the estimation speed/accuracy benchmark, the side-by-side speed of the default method and
   UDALN's and M2U-Net's paper schedules (projected from measured per-stage rates), the default
   method's profile, the methods' working memory per pixel;
3. the default method on product-like pairs from real scenes (REAL_PRODUCTS.md);
4. RESULTS.md rendered from the JSON rows.

The paper schedules of the deep methods (hours each) and the 3000×3000 large scene are separate
commands (see benchmarks/README.md). Results go to benchmarks/results/*.json, one file per
device, replaced on each run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
PY = sys.executable


def run(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run([PY, *args], check=True, cwd=HERE.parent)


def main() -> int:
    from fusion_core.methods import CATALOG

    device = "cuda" if torch.cuda.is_available() else "cpu"
    methods = ",".join(["bicubic", "ridge"] + [e.id for e in CATALOG])
    out = HERE / "results" / f"seed_methods_fast_{device}.json"
    out.unlink(missing_ok=True)
    run("benchmarks/run_methods.py", "--methods", methods, "--threads", "1", "--out", str(out))
    run("benchmarks/run_methods.py", "--methods", "sscf", "--degradation", "true", "--out", str(out))
    hard = HERE / "results" / f"hard_protocol_{device}.json"
    hard.unlink(missing_ok=True)
    run("benchmarks/run_methods.py", "--protocol", "hard", "--scenes", "jasper_ridge,pavia_centre,enmap_potsdam",
        "--scales", "4", "--methods", "bicubic,ridge,glp_hs,sscf,udaln", "--threads", "1", "--out", str(hard))
    run("benchmarks/run_methods.py", "--protocol", "hard", "--scenes", "jasper_ridge,pavia_centre,enmap_potsdam",
        "--scales", "4", "--methods", "sscf", "--degradation", "true", "--out", str(hard))
    real = HERE / "results" / f"real_hyperion_ali_{device}.json"
    real.unlink(missing_ok=True)
    run("benchmarks/run_methods.py", "--protocol", "real", "--degradation", "both", "--methods",
        "bicubic,ridge,glp_hs,sscf", "--out", str(real))
    run("benchmarks/run_methods.py", "--protocol", "real", "--methods", ",".join(e.id for e in CATALOG[1:]),
        "--threads", "1", "--out", str(real))
    run("benchmarks/estimation_speed.py")
    run("-m", "benchmarks.speed", "--threads", "1")
    run("-m", "benchmarks.profile_default", "--threads", "1")
    run("-m", "benchmarks.memory")
    run("-m", "benchmarks.real_products")
    run("benchmarks/report.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
