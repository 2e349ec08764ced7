"""Command line without QGIS: ``python -m fusion_core {simulate,estimate,fuse,metrics} …``.

The same jobs as the Processing algorithms (see :mod:`fusion_core.pipeline`), for scripts and
clusters where QGIS is not installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from .errors import FusionError
from .methods.options import parse_method_options
from .methods.settings import DEFAULT_PRESET, PRESETS
from .progress import Progress

__all__ = ["main"]


def _progress(quiet: bool) -> Progress:
    def report(percent: float, message: str) -> None:
        print(f"\r{percent:5.1f} % {message[:70]:70s}", end="", file=sys.stderr, flush=True)

    def log(message: str) -> None:
        print(f"\n{message}", file=sys.stderr, flush=True)

    return Progress(None if quiet else report, None, None if quiet else log)


def _srf_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sensor", help="SRF preset id, e.g. sentinel-2a, landsat-8, worldview-3")
    p.add_argument("--srf-file", help="SRF CSV: wavelength_nm column, then one column per band")
    p.add_argument("--msi-bands", help="comma-separated SRF band names in HR-MSI band order")


def _srf_source(args):
    from .pipeline import SrfSource

    bands = [b.strip() for b in args.msi_bands.split(",")] if args.msi_bands else None
    return SrfSource(args.sensor, args.srf_file, bands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fusion_core", description=__doc__)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="LR-HSI + HR-MSI from a reference HR-HSI")
    p.add_argument("reference"), p.add_argument("lr_hsi"), p.add_argument("hr_msi")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--psf-fwhm", type=float), p.add_argument("--psf-file")
    p.add_argument("--snr", type=float), p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", help="write the true degradation model (JSON) here")
    _srf_args(p)

    p = sub.add_parser("estimate", help="blind PSF/SRF estimation → JSON model")
    p.add_argument("lr_hsi"), p.add_argument("hr_msi"), p.add_argument("model")
    p.add_argument("--psf-size", type=int)
    _srf_args(p)

    p = sub.add_parser("fuse", help="blind fusion → HR-HSI GeoTIFF")
    p.add_argument("lr_hsi"), p.add_argument("hr_msi"), p.add_argument("output")
    p.add_argument("--method", default="default", help="method id or index (default: default)")
    p.add_argument("--degradation", help="degradation model JSON (default: estimate it)")
    p.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESETS)
    p.add_argument("--device", default="auto"), p.add_argument("--seed", type=int, default=0)
    p.add_argument("--options", default="",
                   help="method options 'name=value; ...', e.g. 'hsi_geometry=false'")
    p.add_argument("--max-memory-gb", type=float, default=4.0, help="peak memory bound (GB)")
    p.add_argument("--window-size", type=int, default=0, help="window size in HR pixels (0: auto)")
    p.add_argument("--dask", help="'local' for an embedded Dask cluster, or a scheduler address")
    p.add_argument("--resume", action="store_true", help="resume an interrupted run")
    p.add_argument("--resample-hr-msi", action="store_true",
                   help="warp the HR-MSI onto the LR-aligned grid when the grids do not nest")
    _srf_args(p)

    p = sub.add_parser("metrics", help="PSNR, SAM, ERGAS, … of an estimate vs a reference")
    p.add_argument("reference"), p.add_argument("estimate")
    p.add_argument("--scale", type=int, default=4), p.add_argument("--report")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one job; exit status 2 with a one-line message on bad input."""
    from . import pipeline

    args = build_parser().parse_args(argv)
    progress = _progress(args.quiet)
    try:
        if args.command == "simulate":
            pipeline.simulate_pair_files(
                args.reference, args.lr_hsi, args.hr_msi, args.scale, _srf_source(args),
                args.psf_fwhm, args.psf_file, args.snr, args.seed, args.model, progress)
        elif args.command == "estimate":
            pipeline.estimate_files(args.lr_hsi, args.hr_msi, args.model,
                                    srf_source=_srf_source(args), psf_size=args.psf_size,
                                    progress=progress)
        elif args.command == "fuse":
            result = pipeline.fuse_files(
                args.lr_hsi, args.hr_msi, args.output, args.method, args.degradation,
                _srf_source(args), args.preset, args.device, args.seed,
                options=parse_method_options(args.options), progress=progress, max_memory_gb=args.max_memory_gb,
                window_size=args.window_size,
                dask_scheduler=args.dask, resume=args.resume, resample_hr_msi=args.resample_hr_msi)
            print(json.dumps({"output": result.output, "method": result.method, "seconds": result.seconds}))
        else:
            print(json.dumps(pipeline.metrics_files(args.reference, args.estimate, args.scale, args.report)))
    except FusionError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    return 0
