"""Command line without QGIS: ``python -m fusion_core {simulate,estimate,fuse,batch,metrics,worker} …``.

The same jobs as the Processing algorithms (see :mod:`fusion_core.pipeline`), for scripts and
clusters where QGIS is not installed. The ``fuse`` and ``estimate`` arguments are generated from
:class:`~fusion_core.request.FusionRequest`, so flags, defaults and help match the QGIS dialog.
``batch`` fuses many pairs, one scene per task (:mod:`fusion_core.batch`); ``worker`` starts a
Dask worker for any of these jobs (:mod:`fusion_core.worker`).
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

#: Request fields a ``batch`` does not take for all its scenes: each scene's own paths (from the
#: list), and the scheduler (the batch's ``--dask`` places whole scenes).
BATCH_EXCLUDED = ("lr_hsi", "hr_msi", "output", "report", "degradation_output", "consistency_map",
                  "agreement_mask", "provenance", "dask_scheduler")
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

    p = sub.add_parser("batch", help="fuse many pairs (a CSV list or two globs), one scene per "
                                     "task, each with its report; failures are listed")
    p.add_argument("folder", help="where the fused images, their reports and batch.json go")
    p.add_argument("--pairs", help="CSV file with columns lr_hsi, hr_msi [, name, output, any "
                                   "request field]")
    p.add_argument("--lr", help="LR-HSI glob, e.g. 'data/*_enmap.tif' (with --hr: files pair up "
                                "by what the wildcards match)")
    p.add_argument("--hr", help="HR-MSI glob, e.g. 'data/*_s2.tif'")
    p.add_argument("--dask", default=None, help="Dask scheduler for one scene per task: 'local', "
                                                "an address or a scheduler file (default: "
                                                "$HSI_FUSION_DASK_SCHEDULER, else here, one "
                                                "scene after another)")
    p.add_argument("--no-report", action="store_true", help="no quality report per scene")
    p.set_defaults(fields=add_request_arguments(p, [n for n, _ in request_fields()
                                                    if n not in BATCH_EXCLUDED]))

    p = sub.add_parser("metrics", help="PSNR, SAM, ERGAS, … of an estimate vs a reference")
    p.add_argument("reference"), p.add_argument("estimate")
    p.add_argument("--scale", type=int, default=4), p.add_argument("--report")

    p = sub.add_parser("worker", add_help=False,
                       help="a Dask worker for fusion jobs from QGIS, the CLI or Python: takes "
                            "'dask worker' arguments (a scheduler address or --scheduler-file, "
                            "--nthreads, --memory-limit, …; --help lists them)")
    p.add_argument("dask_worker", nargs=argparse.REMAINDER, help="'dask worker' arguments")
    return parser


def _batch(args: argparse.Namespace, progress: Progress) -> int:
    """Run the ``batch`` command; 0 when every scene is fused, 1 when some failed (listed)."""
    from pathlib import Path

    from .batch import run_batch, scenes_from_csv, scenes_from_globs, write_summary
    from .errors import InputError
    from .windows.distributed import resolve_scheduler

    base = request_from_args(args, args.fields)
    report = not args.no_report
    if args.pairs and not (args.lr or args.hr):
        scenes = scenes_from_csv(args.pairs, args.folder, base, report)
    elif args.lr and args.hr and not args.pairs:
        scenes = scenes_from_globs(args.lr, args.hr, args.folder, base, report)
    else:
        raise InputError("Give the pairs either as a CSV file (--pairs pairs.csv) or as two globs "
                         "(--lr 'data/*_enmap.tif' --hr 'data/*_s2.tif').")
    Path(args.folder).mkdir(parents=True, exist_ok=True)
    results = run_batch(scenes, resolve_scheduler(args.dask), progress)
    write_summary(results, str(Path(args.folder) / "batch.json"))
    for result in results:
        print(json.dumps({"scene": result.name, "ok": result.ok, "output": result.output,
                          "error": result.error}))
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"\n{len(failed)} of {len(results)} scene(s) failed: "
              + "; ".join(f"{r.name}: {r.error}" for r in failed), file=sys.stderr)
    return 1 if failed else 0


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

    argv = list(sys.argv[1:] if argv is None else argv)
    if "worker" in argv and all(a.startswith("-") for a in argv[:argv.index("worker")]):
        from .worker import run_worker

        try:  # dask worker parses its own arguments
            return run_worker(argv[argv.index("worker") + 1:])
        except FusionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
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
            elif args.command == "batch":
                return _batch(args, progress)
            elif args.command == "fuse":
                request = request_from_args(args, args.fields)
                result = pipeline.fuse_files(request, progress)
                print(json.dumps({"output": result.output, "method": result.method,
                                  "seconds": result.seconds}))
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
