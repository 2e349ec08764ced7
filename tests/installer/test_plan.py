"""The pip command lines and target folder built from the user's choices, for each OS."""

from pathlib import Path

import pytest

from hsi_fusion.installer import ENGINE_REQUIREMENTS, InstallChoice, InstallError, make_plan
from hsi_fusion.installer.plan import CUDA_TAG, MIN_TORCH, TORCH_INDEX, resolved_packages

PROFILE = Path("/home/ana/.local/share/QGIS/QGIS3/profiles/default")


def _report(*packages: tuple[str, str]) -> dict:
    return {"install": [{"metadata": {"name": name, "version": version},
                         "download_info": {"url": f"https://files.example/{name}-{version}.whl"}}
                        for name, version in packages]}


def test_linux_cpu_plan_installs_the_engine_packages_into_the_profile_folder_from_torch_cpu_index():
    plan = make_plan(InstallChoice("cpu"), Path("/usr/bin/python3.13"), PROFILE, "linux")
    assert plan.target == PROFILE / "python" / "hsi_fusion_deps"
    assert ENGINE_REQUIREMENTS == (f"torch>={MIN_TORCH}", "pyrsr", "dask[distributed]")
    resolve = plan.resolve_command(Path("/tmp/report.json"))
    assert resolve[:5] == ["/usr/bin/python3.13", "-m", "pip", "install", "--dry-run"]
    assert "--target" not in resolve and resolve[-3:] == list(ENGINE_REQUIREMENTS)
    assert resolve[resolve.index("--extra-index-url") + 1] == TORCH_INDEX + "cpu"
    resolved = resolved_packages(plan, _report(("torch", "2.9.1+cpu"), ("pyrsr", "0.8.0")))
    install = plan.install_command(resolved)
    assert install[install.index("--target") + 1] == str(plan.target)
    assert "--no-deps" in install and install[-2:] == ["https://files.example/torch-2.9.1+cpu.whl",
                                                       "https://files.example/pyrsr-0.8.0.whl"]


@pytest.mark.parametrize("platform, build, index", [
    ("linux", "cuda", None),                       # PyPI's Linux torch is the CUDA build
    ("win32", "cpu", None),                        # PyPI's Windows torch is the CPU build
    ("win32", "cuda", TORCH_INDEX + CUDA_TAG),
    ("darwin", "cpu", None),
])
def test_each_os_and_build_gets_torch_from_the_index_that_has_it(platform, build, index):
    plan = make_plan(InstallChoice(build), Path("python"), PROFILE, platform)
    options = plan.index_options
    assert (options[1] if options else None) == index


def test_cuda_on_macos_and_unknown_builds_are_refused_before_anything_runs():
    with pytest.raises(InstallError, match="no CUDA build for macOS: choose the CPU build"):
        make_plan(InstallChoice("cuda"), Path("python"), PROFILE, "darwin")
    with pytest.raises(InstallError, match="Unknown torch build 'rocm'"):
        make_plan(InstallChoice("rocm"), Path("python"), PROFILE, "linux")


def test_a_cpu_choice_never_gets_the_cuda_stack():
    plan = make_plan(InstallChoice("cpu"), Path("python"), PROFILE, "linux")
    cuda = _report(("torch", "2.9.1"), ("nvidia-cublas-cu12", "12.8.4.1"), ("pyrsr", "0.8.0"))
    with pytest.raises(InstallError, match="CPU index .*cpu could not be reached"):
        resolved_packages(plan, cuda)
    assert [r.name for r in resolved_packages(plan, _report(("torch", "2.9.1+cpu")))] == ["torch"]


def test_a_windows_cuda_choice_refuses_a_cpu_torch():
    plan = make_plan(InstallChoice("cuda"), Path("python.exe"), PROFILE, "win32")
    with pytest.raises(InstallError, match="a CPU build, although CUDA was chosen"):
        resolved_packages(plan, _report(("torch", "2.9.1")))
    assert resolved_packages(plan, _report(("torch", f"2.9.1+{CUDA_TAG}")))[0].version.endswith(CUDA_TAG)


def test_packages_installed_earlier_count_as_installed_in_the_dry_run():
    plan = make_plan(InstallChoice("cpu"), Path("python"), PROFILE, "linux")
    env = plan.environment({"PYTHONPATH": "/opt/qgis/python"})
    assert env["PYTHONPATH"].split(":") == [str(plan.target), "/opt/qgis/python"]
    assert plan.environment({})["PYTHONPATH"] == str(plan.target)
