"""Tests of the Dask settings of the workers the engine starts (fusion_core.dask_settings)."""

import dask

from fusion_core.dask_settings import worker_settings

ENVIRON = "distributed.nanny.pre-spawn-environ"


def test_workers_keep_glibcs_allocator_and_do_not_spill_under_dasks_defaults():
    settings = worker_settings()
    assert "MALLOC_TRIM_THRESHOLD_" not in settings[ENVIRON]
    assert settings[ENVIRON]["OMP_NUM_THREADS"] == 1  # the nanny's other variables stay
    assert all(settings[f"distributed.worker.memory.{key}"] is False for key in ("target", "spill", "pause"))
    assert settings["distributed.admin.tick.interval"] == "1s"
    assert settings["distributed.worker.profile.enabled"] is False


def test_settings_of_the_users_own_win():
    own = {ENVIRON: {"MALLOC_TRIM_THRESHOLD_": 2**20}, "distributed.worker.memory.spill": 0.9,
           "distributed.admin.tick.interval": "50ms"}
    with dask.config.set(own):
        settings = worker_settings()
    assert not set(own) & set(settings)
    assert settings["distributed.worker.memory.pause"] is False
