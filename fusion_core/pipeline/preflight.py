"""Checks on a job's files before any compute, and the run's hold on its outputs.

Every file-to-file job is wrapped by :func:`guarded`, which before the job starts checks that:

* no output is an input, nor another output (compared as resolved paths and as files, so
  symbolic links, hard links and relative paths are seen through);
* raster outputs have a format the engine writes (GeoTIFF: ``.tif``/``.tiff``); any other name is
  refused with the list, never silently written as a GeoTIFF;
* every input exists and is readable: a raster's last block of every band is decoded (a truncated
  download or copy fails there), a JSON/CSV file is opened;
* every output folder exists, and its disk has room for the expected output;

then locks every output (:class:`~fusion_core.io.lock.OutputLock`, which also proves the folder
writable) for the job's duration. Each failure is an :class:`~fusion_core.errors.InputError`
naming the setting, the path and a fix. While the job runs, a full disk or an I/O error that
escapes it becomes an :class:`~fusion_core.errors.OutputError` saying what to do.
"""

from __future__ import annotations

import errno
import functools
import inspect
import re
import shutil
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Optional, TypeVar

import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from ..errors import InputError, OutputError
from ..io.lock import OutputLock
from ..request import fields_of_kind, param_of

if TYPE_CHECKING:
    from ..params import Request

__all__ = ["RunFiles", "preflight", "guarded", "disk_failure", "fusion_files",
           "estimation_files", "simulation_files", "request_files", "RASTER_EXTENSIONS",
           "COMPRESSION", "SPACE_MARGIN"]

#: Extensions of the raster outputs the engine writes (GeoTIFF, tiled and compressed).
RASTER_EXTENSIONS = (".tif", ".tiff")
#: Compression of the fused GeoTIFF (default options: float32, ZSTD level 1) on the least
#: compressible real cube measured: 1.10× (``benchmarks/OUTPUT_COMPRESSION.md``, over the twelve
#: real cubes and their ×4 upsamplings).
COMPRESSION = 1.10
#: Free space asked for beyond the expected output size.
SPACE_MARGIN = 1.10
#: Errors of a disk or a file system (not of a program): reported as such, with what to do.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG}

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class RunFiles:
    """What a job reads and writes, each file under the name the caller knows its setting by.

    Attributes:
        rasters_in, files_in: input rasters and other input files (JSON, CSV); empty paths are
            settings left empty.
        rasters_out, files_out: outputs (rasters must be GeoTIFFs).
        output_bytes: expected size of the raster outputs, uncompressed (0: small).
        compression: the least ratio they compress by (1: written uncompressed).
        resume_hint: what to tell a user whose run failed with its resume state kept (empty
            when the job cannot resume).
    """

    rasters_in: Mapping[str, str] = field(default_factory=dict)
    files_in: Mapping[str, str] = field(default_factory=dict)
    rasters_out: Mapping[str, str] = field(default_factory=dict)
    files_out: Mapping[str, str] = field(default_factory=dict)
    output_bytes: int = 0
    compression: float = COMPRESSION
    resume_hint: str = ""

    @property
    def inputs(self) -> dict[str, str]:
        return {k: str(v) for k, v in {**self.rasters_in, **self.files_in}.items() if v}

    @property
    def outputs(self) -> dict[str, str]:
        return {k: str(v) for k, v in {**self.rasters_out, **self.files_out}.items() if v}


# The checks -------------------------------------------------------------------------------------

def _identity(path: str) -> tuple[Path, Optional[tuple[int, int]]]:
    p = Path(path).expanduser()
    try:
        st = p.stat()
        inode = (st.st_dev, st.st_ino)
    except OSError:
        inode = None
    return p.resolve(), inode


def check_distinct(files: RunFiles) -> None:
    """No output is an input or another output, through links and relative paths."""
    inputs = {name: _identity(path) for name, path in files.inputs.items()}
    seen: dict[str, tuple] = {}
    for name, path in files.outputs.items():
        resolved, inode = _identity(path)
        for other, (o_resolved, o_inode) in {**inputs, **seen}.items():
            if resolved == o_resolved or (inode is not None and inode == o_inode):
                what = "the input" if other in inputs else "the output"
                harm = " and destroy it" if other in inputs else ""
                raise InputError(f"{name} ({path}) is the same file as {what} {other} "
                                 f"({files.inputs.get(other) or files.outputs[other]}): writing "
                                 f"it would overwrite that file{harm}. Choose another path for "
                                 f"{name}.")
        if resolved.is_dir():
            raise InputError(f"{name} ({path}) is a folder: give a file name in it, e.g. "
                             f"{resolved / 'fused.tif'}.")
        seen[name] = (resolved, inode)


def check_formats(files: RunFiles) -> None:
    """Raster outputs are GeoTIFFs; other extensions are refused with the supported list."""
    for name, path in files.rasters_out.items():
        if path and Path(path).suffix.lower() not in RASTER_EXTENSIONS:
            stem = Path(path).with_suffix(".tif").name
            raise InputError(
                f"{name} ({path}): HSI Fusion writes GeoTIFF only ({', '.join(RASTER_EXTENSIONS)}), "
                f"and '{Path(path).suffix or 'no extension'}' would not be one. Name it e.g. "
                f"{stem}, then convert it if you need another format (QGIS 'Translate (convert "
                "format)' or gdal_translate).")


def check_folders(files: RunFiles) -> None:
    for name, path in files.outputs.items():
        folder = Path(path).expanduser().resolve().parent
        if not folder.is_dir():
            raise InputError(f"The folder {folder} of {name} does not exist: create it or choose "
                             "another output path.")


def _last_block(ds) -> Window:
    rows, cols = ds.block_shapes[0]
    r0, c0 = (ds.height - 1) // rows * rows, (ds.width - 1) // cols * cols
    return Window(c0, r0, min(cols, ds.width - c0), min(rows, ds.height - r0))


def _dataset(path: str, name: str) -> str:
    """The dataset the engine reads for input ``path`` (a delivered product resolved; its
    masks are not needed to check it can be read)."""
    from ..products import open_input

    if not _gdal_name(path) and not Path(path).exists():
        raise InputError(f"{name} ({path}) does not exist: check the path.")
    return open_input(path, name, frozenset()).dataset


def _gdal_name(path: str) -> bool:
    """True for a name GDAL resolves itself: ``/vsi…`` paths and ``DRIVER:…`` subdatasets."""
    return path.startswith("/vsi") or bool(re.match(r"^[A-Z][A-Z0-9_]+:", path))


def scan_raster(path: str, name: str) -> None:
    """Open ``path`` (a delivered product: the dataset it resolves to) read-only and decode the
    last block of every band (a truncated file fails there); GDAL writes no sidecar file while
    doing it.

    Cost: one block per band (198 tiles of 256×256 decoded in 2.6 s on a loaded 2-core machine
    for a 5 GB, 3000×3000×198 GeoTIFF, whose full read takes minutes).
    """
    dataset = _dataset(path, name)
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        try:
            with rasterio.open(dataset, "r") as ds:
                ds.read(window=_last_block(ds))
        except (RasterioError, OSError) as exc:
            missing = "No such file" in str(exc) or "does not exist" in str(exc)
            if missing:
                raise InputError(f"{name} ({path}) does not exist: check the path (GDAL says "
                                 f"'{exc}').") from None
            raise InputError(
                f"{name} ({path}) is truncated, corrupt or not a raster: GDAL cannot read it "
                f"('{exc}'). Download or export it again; 'gdalinfo -checksum {path}' checks "
                "every block.") from None


def check_inputs(files: RunFiles) -> None:
    """Every input exists and can be read."""
    for name, path in files.rasters_in.items():
        if path:
            scan_raster(str(path), name)
    for name, path in files.files_in.items():
        if not path:
            continue
        try:
            with open(path, "rb") as f:
                f.read(1)
        except OSError as exc:
            raise InputError(f"{name} ({path}) cannot be read ({exc.strerror}): check the path "
                             "and its permissions.") from None


def _size(n: float) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def check_space(files: RunFiles) -> None:
    """Each disk that receives raster outputs has room for them, compressed as the least
    compressible scene measured, plus :data:`SPACE_MARGIN`."""
    if not files.output_bytes:
        return
    need = files.output_bytes / files.compression * SPACE_MARGIN
    disks: dict[int, tuple[str, Path]] = {}
    for name, path in files.rasters_out.items():
        folder = Path(path).expanduser().resolve().parent
        disks.setdefault(folder.stat().st_dev, (name, folder))
    for name, folder in disks.values():
        have = shutil.disk_usage(folder).free
        if have < need:
            raise InputError(
                f"The disk of {name} ({folder}) has {_size(have)} free, but the output needs about "
                f"{_size(need)} ({_size(files.output_bytes)} of pixels uncompressed, which compress to "
                f"no less than 1/{files.compression:g} of that on the real scenes measured, plus a "
                f"{(SPACE_MARGIN - 1) * 100:.0f} % margin): free some space, or choose an output "
                "on another disk.")


@contextmanager
def preflight(files: RunFiles) -> Iterator[dict[str, OutputLock]]:
    """Check ``files`` (see the module docstring), then hold a lock on every output until the
    block ends; yields the locks by setting name."""
    check_distinct(files)
    check_formats(files)
    check_folders(files)
    check_inputs(files)
    check_space(files)
    with ExitStack() as stack:
        locks = {name: stack.enter_context(OutputLock.acquire(path, name))
                 for name, path in files.outputs.items()}
        yield locks


def disk_failure(exc: OSError, files: RunFiles) -> Optional[OutputError]:
    """The :class:`OutputError` for a disk's failure during a run (None for other errors)."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    full = code in (errno.ENOSPC, errno.EDQUOT) or "No space left" in text
    if not full and code not in _DISK_ERRNOS:
        return None
    folders = sorted({str(Path(p).expanduser().resolve().parent) for p in files.outputs.values()})
    where = ", ".join(folders)
    if full:
        what = f"The disk holding {where} is full ({exc.strerror or text})"
        fix = "free some space, or choose an output on another disk"
    else:
        what = f"Writing into {where} failed ({exc.strerror or text})"
        fix = "check that disk (and that it is writable)"
    then = files.resume_hint or "then run again"
    return OutputError(f"{what}: no output was written. To continue, {fix}; {then}.")


def guarded(files_of: Callable[..., RunFiles]) -> Callable[[F], F]:
    """Decorate a job so that :func:`preflight` checks and locks the files ``files_of`` gives
    for the job's arguments, and a disk failure during the job ends with a clear message."""

    def wrap(job: F) -> F:
        signature = inspect.signature(job)

        @functools.wraps(job)
        def run(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            files = files_of(**bound.arguments)
            with preflight(files):
                try:
                    return job(*args, **kwargs)
                except OSError as exc:
                    failure = disk_failure(exc, files)
                    if failure is None:
                        raise
                    raise failure from None

        return run  # type: ignore[return-value]

    return wrap


# What each job reads and writes -----------------------------------------------------------------

def _raster_size(path: Optional[str]) -> tuple[int, int, int]:
    """(bands, rows, columns) of a raster or delivered product; zeros when it cannot be opened
    (the scan says why)."""
    try:
        dataset = _dataset(str(path), "input")
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(dataset) as ds:
            return ds.count, ds.height, ds.width
    except (RasterioError, OSError, TypeError, InputError):
        return 0, 0, 0


def request_files(request: "Request", **_) -> RunFiles:
    """The files the request's fields declare, under the caller's names (all a job whose
    outputs are small needs)."""
    return RunFiles(rasters_in=request.paths("raster_in"), files_in=request.paths("file_in"),
                    rasters_out=request.paths("raster_out"), files_out=request.paths("file_out"))


def fusion_files(request, method=None, **_) -> RunFiles:
    """The files of :func:`~fusion_core.pipeline.fuse_files`: the output holds the LR-HSI's bands
    on (at most) the HR-MSI's pixels. The request's method options are checked first (a method
    of the caller's own checks its options itself)."""
    if method is None:
        request.check_method_options()
    bands = _raster_size(request.lr_hsi)[0]
    rows, cols = _raster_size(request.hr_msi)[1:]
    hint = (f"then run the same command again with {request.name_of('resume')}: it continues from "
            "the finished windows" if request.resume else "")
    beside = sum(param_of(name).pixel_bytes for name in fields_of_kind("raster_out") if getattr(request, name))
    return replace(
        request_files(request),
        output_bytes=(request.output_options.bytes_per_value * bands + beside) * rows * cols,
        compression=1.0 if request.output_compression == "NONE" else COMPRESSION,
        resume_hint=hint)


def estimation_files(request, model_path: str, **_) -> RunFiles:
    """The files of :func:`~fusion_core.pipeline.estimate_files` (the model named as the caller's
    estimate job names it)."""
    from ..job_requests import EstimationRequest

    n = request.name_of
    model = EstimationRequest(caller=request.caller).name_of("model")
    return RunFiles(rasters_in=request.paths("raster_in"),
                    files_in={n("srf_file"): request.srf_file or ""},
                    files_out={model: model_path})


def simulation_files(request, **_) -> RunFiles:
    """The files of :func:`~fusion_core.pipeline.simulate_pair_files`: both outputs together
    are about the reference's size (fewer bands, or fewer pixels)."""
    bands, rows, cols = _raster_size(request.reference)
    return replace(request_files(request), output_bytes=4 * bands * rows * cols)
