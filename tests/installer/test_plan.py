"""The pip command lines and target folder built from the user's choices, for each OS."""

from pathlib import Path

import pytest

from hsi_fusion.installer import ENGINE_REQUIREMENTS, MIN_TORCH, InstallChoice, InstallError, make_plan
from hsi_fusion.installer.plan import (
    CUDA_TAG,
    TORCH_INDEX,
    Resolved,
    check_build,
    constraints,
    site_folders,
    staged_packages,
)

PROFILE = Path("/home/ana/.local/share/QGIS/QGIS3/profiles/default")


def test_linux_cpu_plan_installs_the_engine_packages_into_the_profile_folder_from_torch_cpu_index():
    plan = make_plan(InstallChoice("cpu"), Path("/usr/bin/python3.13"), PROFILE, "linux")
    assert plan.target == PROFILE / "python" / "hsi_fusion_deps"
    assert ENGINE_REQUIREMENTS[:2] == (f"torch>={MIN_TORCH}", "rasterio")
    assert {"scikit-image", "pyrsr", "dask[distributed]"} <= set(ENGINE_REQUIREMENTS)
    install = plan.install_command(Path("/tmp/staging"), Path("/tmp/qgis-has.txt"))
    assert install[:5] == ["/usr/bin/python3.13", "-m", "pip", "install", "--prefix"]
    assert install[install.index("--constraint") + 1] == "/tmp/qgis-has.txt"
    assert "--report" not in install and "--dry-run" not in install and "--target" not in install
    assert install[-len(ENGINE_REQUIREMENTS):] == list(ENGINE_REQUIREMENTS)
    assert install[install.index("--extra-index-url") + 1] == TORCH_INDEX + "cpu"


def test_what_qgis_has_is_pinned_to_its_installed_version():
    listed = "numpy==1.24.2\nGDAL==3.6.2\ndask==2022.12.1+dfsg\nPyQt5==5.15.9\nnot a pin\n"
    assert constraints(listed).splitlines() == ["numpy==1.24.2", "GDAL==3.6.2", "dask==2022.12.1+dfsg",
                                                "PyQt5==5.15.9"]


def test_a_folder_of_wheels_replaces_every_index(tmp_path):
    plan = make_plan(InstallChoice("cpu", wheels=tmp_path), Path("python"), PROFILE, "linux")
    assert plan.index_options == ("--no-index", "--find-links", str(tmp_path))
    with pytest.raises(InstallError, match="The wheel folder /nowhere does not exist"):
        make_plan(InstallChoice("cpu", wheels=Path("/nowhere")), Path("python"), PROFILE, "linux")


def test_an_intel_mac_is_told_that_no_usable_torch_exists():
    with pytest.raises(InstallError, match="no build for Intel Macs after 2.2.2.*Apple silicon"):
        make_plan(InstallChoice("cpu"), Path("python3"), PROFILE, "darwin", "x86_64")
    assert make_plan(InstallChoice("cpu"), Path("python3"), PROFILE, "darwin", "arm64").index_options == ()


def test_staged_packages_are_read_from_their_dist_info_folders(tmp_path):
    site = tmp_path / "Lib" / "site-packages"
    for name in ("torch-2.9.1+cpu.dist-info", "nvidia_cublas_cu12-12.8.4.1.dist-info"):
        (site / name).mkdir(parents=True)
    assert staged_packages(tmp_path) == [Resolved("nvidia_cublas_cu12", "12.8.4.1"), Resolved("torch", "2.9.1+cpu")]


def test_a_package_s_vendored_copies_are_not_installed_packages(tmp_path):
    """setuptools carries its own packaging, with a dist-info, in setuptools/_vendor."""
    site = tmp_path / "local" / "lib" / "python3.11" / "dist-packages"
    for name in ("setuptools-84.2.1.dist-info", "setuptools/_vendor/packaging-24.2.dist-info"):
        (site / name).mkdir(parents=True)
    assert site_folders(tmp_path) == [site]
    assert staged_packages(tmp_path) == [Resolved("setuptools", "84.2.1")]


@pytest.mark.parametrize("platform, build, index", [
    ("linux", "cuda", None),                       # PyPI's Linux torch is the CUDA build
    ("win32", "cpu", None),                        # PyPI's Windows torch is the CPU build
    ("win32", "cuda", TORCH_INDEX + CUDA_TAG),
    ("darwin", "cpu", None),
])
def test_each_os_and_build_gets_torch_from_the_index_that_has_it(platform, build, index):
    plan = make_plan(InstallChoice(build), Path("python"), PROFILE, platform, "arm64")
    options = plan.index_options
    assert (options[1] if options else None) == index


def test_cuda_on_macos_and_unknown_builds_are_refused_before_anything_runs():
    with pytest.raises(InstallError, match="no CUDA build for macOS: choose the CPU build"):
        make_plan(InstallChoice("cuda"), Path("python"), PROFILE, "darwin", "arm64")
    with pytest.raises(InstallError, match="Unknown torch build 'rocm'"):
        make_plan(InstallChoice("rocm"), Path("python"), PROFILE, "linux")


def test_a_cpu_choice_never_gets_the_cuda_stack():
    plan = make_plan(InstallChoice("cpu"), Path("python"), PROFILE, "linux")
    cuda = [Resolved("torch", "2.9.1"), Resolved("nvidia_cublas_cu12", "12.8.4.1"), Resolved("pyrsr", "0.8.0")]
    with pytest.raises(InstallError, match="CPU index .*cpu could not be reached"):
        check_build(plan, cuda)
    check_build(plan, [Resolved("torch", "2.9.1+cpu")])


def test_a_windows_cuda_choice_refuses_a_cpu_torch():
    plan = make_plan(InstallChoice("cuda"), Path("python.exe"), PROFILE, "win32")
    with pytest.raises(InstallError, match="a CPU build, although CUDA was chosen"):
        check_build(plan, [Resolved("torch", "2.9.1")])
    check_build(plan, [Resolved("torch", f"2.9.1+{CUDA_TAG}")])


def test_packages_installed_earlier_count_as_installed():
    plan = make_plan(InstallChoice("cpu"), Path("python"), PROFILE, "linux")
    env = plan.environment({"PYTHONPATH": "/opt/qgis/python"})
    assert env["PYTHONPATH"].split(":") == [str(plan.target), "/opt/qgis/python"]
    assert plan.environment({})["PYTHONPATH"] == str(plan.target)
