"""Command line without QGIS: ``python -m fusion_core {simulate,estimate,fuse,batch,metrics,worker} …``.

The same jobs as the Processing algorithms (see :mod:`fusion_core.pipeline`), for scripts and
clusters where QGIS is not installed. Each command's arguments are generated from its request
(:class:`~fusion_core.request.FusionRequest` and those of :mod:`fusion_core.job_requests`), so
flags, defaults and help match the QGIS dialog, and messages name the flags. ``batch`` fuses
many pairs, one scene per task (:mod:`fusion_core.batch`); ``worker`` starts a Dask worker for
any of these jobs (:mod:`fusion_core.worker`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional, Sequence

from .errors import FusionError
from .job_requests import EstimationRequest, MetricsRequest, SimulationRequest
from .params import Request
from .progress import Progress
from .request import FusionRequest

__all__ = ["main", "build_parser"]

#: The commands: their request and one line of help.
COMMANDS: dict[str, tuple[type[Request], str]] = {
    "simulate": (SimulationRequest, "LR-HSI + HR-MSI from a reference HR-HSI"),
    "estimate": (EstimationRequest, "blind PSF/SRF estimation → JSON model"),
    "fuse": (FusionRequest, "blind fusion → HR-HSI GeoTIFF"),
    "metrics": (MetricsRequest, "PSNR, SAM, ERGAS, … of an estimate vs a reference"),
}
#: Request fields a ``batch`` does not take for all its scenes: each scene's own paths (from the
#: list), and the scheduler (the batch's ``--dask`` places whole scenes).
BATCH_EXCLUDED = ("lr_hsi", "hr_msi", "output", "report", "degradation_output", "consistency_map",
                  "agreement_mask", "provenance", "dask_scheduler")


def _progress(quiet: bool) -> Progress:
    def report(percent: float, message: str) -> None:
        print(f"\r{percent:5.1f} % {message[:70]:70s}", end="", file=sys.stderr, flush=True)

    def log(message: str) -> None:
        print(f"\n{message}", file=sys.stderr, flush=True)

    return Progress(None if quiet else report, None, None if quiet else log)


def add_request_arguments(parser: argparse.ArgumentParser, request_class: type[Request],
                          exclude: Sequence[str] = ()) -> None:
    """Add the fields of ``request_class`` that the command line takes as arguments (but
    ``exclude``)."""
    for name, spec in request_class.fields():
        if not spec.on_cli or name in exclude:
            continue
        flag = request_class.cli_flag(name)
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


def request_from_args(args: argparse.Namespace) -> Request:
    """The request of the parsed command's arguments (absent flags keep the defaults)."""
    request_class = COMMANDS[args.command][0]
    given = {name: getattr(args, name) for name, _ in request_class.fields() if hasattr(args, name)}
    return request_class(caller="cli", **given)  # type: ignore[call-arg]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fusion_core", description=__doc__)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="command", required=True)
    for command, (request_class, help_text) in COMMANDS.items():
        add_request_arguments(sub.add_parser(command, help=help_text), request_class)
    _add_batch(sub)
    p = sub.add_parser("worker", add_help=False,
                       help="a Dask worker for fusion jobs from QGIS, the CLI or Python: takes "
                            "'dask worker' arguments (a scheduler address or --scheduler-file, "
                            "--nthreads, --memory-limit, …; --help lists them)")
    p.add_argument("dask_worker", nargs=argparse.REMAINDER, help="'dask worker' arguments")
    return parser


def _add_batch(sub) -> None:
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
    add_request_arguments(p, FusionRequest, exclude=BATCH_EXCLUDED)


def _batch(args: argparse.Namespace, progress: Progress) -> int:
    """Run the ``batch`` command; 0 when every scene is fused, 1 when some failed (listed)."""
    from pathlib import Path

    from .batch import run_batch, scenes_from_csv, scenes_from_globs, write_summary
    from .errors import InputError
    from .windows.distributed import resolve_scheduler

    given = {name: getattr(args, name) for name, _ in FusionRequest.fields()
             if name not in BATCH_EXCLUDED and hasattr(args, name)}
    base = FusionRequest(caller="cli", **given)
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


def _file_identity(path: str) -> Optional[tuple[int, int, int]]:
    """(inode, modification time in ns, size) of ``path``; None when there is no such file. A
    file renamed into place, or rewritten, has another."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _interrupted(signal_name: str, request: Optional[Request],
                 before: Optional[tuple[int, int, int]]) -> str:
    """The one line printed when a signal ends the run; ``before``: the output's
    :func:`_file_identity` when the run started."""
    from .windows import ResumeState

    if isinstance(request, FusionRequest):
        if request.resume and ResumeState.exists(request.output):
            return (f"interrupted ({signal_name}): the finished windows are kept beside "
                    f"{request.output}; run the same command again to continue.")
        now = _file_identity(request.output)
        if now is not None and now != before:
            return (f"interrupted ({signal_name}) after the fusion: the fused image "
                    f"{request.output} is complete; its quality report was not written.")
    return f"interrupted ({signal_name}): no output was written."


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one job; exit status 2 with a one-line message on bad input, 130 on Ctrl-C, 143 on
    SIGTERM (a one-line message, no traceback, no partial output left)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "worker" in argv and all(a.startswith("-") for a in argv[:argv.index("worker")]):
        from .worker import run_worker

        try:  # dask worker parses its own arguments; its nanny holds no torch (0.2 GB a worker)
            return run_worker(argv[argv.index("worker") + 1:])
        except FusionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    from . import pipeline
    from .interrupt import EXIT_CODES, Terminated, signals_as_exceptions

    args = build_parser().parse_args(argv)
    progress = _progress(args.quiet)
    before: Optional[tuple[int, int, int]] = None
    request: Optional[Request] = None
    try:
        with signals_as_exceptions():
            if args.command == "batch":
                return _batch(args, progress)
            request = request_from_args(args)
            if isinstance(request, FusionRequest):
                before = _file_identity(request.output)
            if isinstance(request, SimulationRequest):
                pipeline.simulate_pair_files(request, progress)
            elif isinstance(request, EstimationRequest):
                pipeline.estimate_files(request.fusion, request.model,
                                        psf_size=request.psf_size or None, progress=progress)
            elif isinstance(request, FusionRequest):
                result = pipeline.fuse_files(request, progress)
                report = result.request.report if result.request is not None else None
                print(json.dumps({"output": result.output, "report": report or None,
                                  "method": result.method, "seconds": result.seconds}))
            elif isinstance(request, MetricsRequest):
                print(json.dumps(pipeline.metrics_files(request)))
    except FusionError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        name = "SIGINT" if isinstance(exc, KeyboardInterrupt) else "SIGTERM"
        print(f"\nerror: {_interrupted(name, request, before)}", file=sys.stderr)
        return EXIT_CODES[name]
    return 0
