"""Command line without QGIS: ``python -m fusion_core {simulate,estimate,fuse,metrics} …``.

The same jobs as the Processing algorithms (see :mod:`fusion_core.pipeline`), for scripts and
clusters where QGIS is not installed. The ``fuse`` and ``estimate`` arguments are generated from
:class:`~fusion_core.request.FusionRequest`, so flags, defaults and help match the QGIS dialog.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from .errors import FusionError
from .progress import Progress
from .request import FusionRequest, cli_flag, request_fields

__all__ = ["main", "build_parser"]

#: Request fields of the ``estimate`` command (the pair, its SRF prior, how its grids meet).
ESTIMATE_FIELDS = ("lr_hsi", "hr_msi", "sensor", "srf_file", "msi_bands", "wavelengths",
                   "resample_hr_msi", "coregister", "max_memory_gb")


def _progress(quiet: bool) -> Progress:
    def report(percent: float, message: str) -> None:
        print(f"\r{percent:5.1f} % {message[:70]:70s}", end="", file=sys.stderr, flush=True)

    def log(message: str) -> None:
        print(f"\n{message}", file=sys.stderr, flush=True)

    return Progress(None if quiet else report, None, None if quiet else log)


def add_request_arguments(parser: argparse.ArgumentParser,
                          only: Optional[Sequence[str]] = None) -> list[str]:
    """Add the request's fields (all, or ``only`` these) as arguments; returns their names."""
    added = []
    for name, spec in request_fields():
        if only is not None and name not in only:
            continue
        added.append(name)
        flag = cli_flag(name)
        if not flag:
            parser.add_argument(name, metavar=spec.key, help=spec.help)
            continue
        kwargs: dict = {"dest": name, "help": spec.help, "default": argparse.SUPPRESS}
        if spec.kind == "boolean":
            kwargs["action"] = argparse.BooleanOptionalAction
        elif spec.kind == "integer":
            kwargs["type"] = int
        elif spec.kind == "number":
            kwargs["type"] = float
        if spec.kind == "enum" and name != "method":
            kwargs["choices"] = spec.choices
        parser.add_argument(flag, **kwargs)
        if spec.beside_output:     # written by default beside the output: a flag turns it off
            parser.add_argument("--no-" + flag[2:], dest=name, action="store_const", const="",
                                default=argparse.SUPPRESS, help=f"write no {spec.label.lower()}")
    return added


def request_from_args(args: argparse.Namespace, names: Sequence[str]) -> FusionRequest:
    """The :class:`FusionRequest` of parsed arguments (absent flags keep the request's defaults)."""
    given = {name: getattr(args, name) for name in names if hasattr(args, name)}
    return FusionRequest(caller="cli", **given)


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
    add_request_arguments(p, ("sensor", "srf_file", "msi_bands"))

    p = sub.add_parser("estimate", help="blind PSF/SRF estimation → JSON model")
    p.set_defaults(fields=add_request_arguments(p, ESTIMATE_FIELDS))
    p.add_argument("model", help="the degradation model to write (JSON)")
    p.add_argument("--psf-size", type=int, help="PSF support in HR pixels (default: from the data)")

    p = sub.add_parser("fuse", help="blind fusion → HR-HSI GeoTIFF")
    p.set_defaults(fields=add_request_arguments(p))

    p = sub.add_parser("metrics", help="PSNR, SAM, ERGAS, … of an estimate vs a reference")
    p.add_argument("reference"), p.add_argument("estimate")
    p.add_argument("--scale", type=int, default=4), p.add_argument("--report")
    return parser


def _interrupted(signal_name: str, request: Optional[FusionRequest]) -> str:
    """The one line printed when a signal ends the run."""
    from .windows import ResumeState

    if request is not None and request.resume and ResumeState.exists(request.output):
        return (f"interrupted ({signal_name}): the finished windows are kept beside "
                f"{request.output}; run the same command again to continue.")
    return f"interrupted ({signal_name}): no output was written."


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one job; exit status 2 with a one-line message on bad input, 130 on Ctrl-C, 143 on
    SIGTERM (a one-line message, no traceback, no partial output left)."""
    from . import pipeline
    from .interrupt import EXIT_CODES, Terminated, signals_as_exceptions

    args = build_parser().parse_args(argv)
    progress = _progress(args.quiet)
    request = None
    try:
        with signals_as_exceptions():
            if args.command == "simulate":
                request = request_from_args(args, ("sensor", "srf_file", "msi_bands"))
                pipeline.simulate_pair_files(
                    args.reference, args.lr_hsi, args.hr_msi, args.scale, request.srf_source,
                    args.psf_fwhm, args.psf_file, args.snr, args.seed, args.model, progress)
            elif args.command == "estimate":
                request = request_from_args(args, args.fields)
                pipeline.estimate_files(request, args.model, psf_size=args.psf_size,
                                        progress=progress)
            elif args.command == "fuse":
                request = request_from_args(args, args.fields)
                result = pipeline.fuse_files(request, progress)
                report = result.request.report if result.request is not None else None
                print(json.dumps({"output": result.output, "report": report or None,
                                  "method": result.method, "seconds": result.seconds}))
            else:
                print(json.dumps(pipeline.metrics_files(args.reference, args.estimate,
                                                        args.scale, args.report)))
    except FusionError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        name = "SIGINT" if isinstance(exc, KeyboardInterrupt) else "SIGTERM"
        print(f"\nerror: {_interrupted(name, request)}", file=sys.stderr)
        return EXIT_CODES[name]
    return 0
