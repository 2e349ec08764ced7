"""Command line without QGIS: ``python -m fusion_core {simulate,estimate,fuse,metrics} …``.

The same jobs as the Processing algorithms (see :mod:`fusion_core.pipeline`), for scripts and
clusters where QGIS is not installed. Each command's arguments are generated from its request
(:class:`~fusion_core.request.FusionRequest` and those of :mod:`fusion_core.job_requests`), so
flags, defaults and help match the QGIS dialog, and messages name the flags.
"""

from __future__ import annotations

import argparse
import json
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


def _progress(quiet: bool) -> Progress:
    def report(percent: float, message: str) -> None:
        print(f"\r{percent:5.1f} % {message[:70]:70s}", end="", file=sys.stderr, flush=True)

    def log(message: str) -> None:
        print(f"\n{message}", file=sys.stderr, flush=True)

    return Progress(None if quiet else report, None, None if quiet else log)


def add_request_arguments(parser: argparse.ArgumentParser, request_class: type[Request]) -> None:
    """Add the fields of ``request_class`` that the command line takes as arguments."""
    for name, spec in request_class.fields():
        if not spec.on_cli:
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
    return parser


def _interrupted(signal_name: str, request: Optional[Request]) -> str:
    """The one line printed when a signal ends the run."""
    from .windows import ResumeState

    if isinstance(request, FusionRequest) and request.resume and ResumeState.exists(request.output):
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
    request: Optional[Request] = None
    try:
        with signals_as_exceptions():
            request = request_from_args(args)
            if isinstance(request, SimulationRequest):
                pipeline.simulate_pair_files(request, progress)
            elif isinstance(request, EstimationRequest):
                pipeline.estimate_files(request.fusion, request.model,
                                        psf_size=request.psf_size or None, progress=progress)
            elif isinstance(request, FusionRequest):
                result = pipeline.fuse_files(request, progress)
                print(json.dumps({"output": result.output, "method": result.method,
                                  "seconds": result.seconds}))
            elif isinstance(request, MetricsRequest):
                print(json.dumps(pipeline.metrics_files(request)))
    except FusionError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        name = "SIGINT" if isinstance(exc, KeyboardInterrupt) else "SIGTERM"
        print(f"\nerror: {_interrupted(name, request)}", file=sys.stderr)
        return EXIT_CODES[name]
    return 0
