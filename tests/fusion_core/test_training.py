"""The shared optimisation loop: stages, progress, cancel, schedules, reproducibility."""

from __future__ import annotations

import pytest
import torch

from fusion_core.device import seed_everything
from fusion_core.errors import Cancelled, FusionError, InputError
from fusion_core.progress import Progress
from fusion_core.training import AdamSettings, Stage, decay_after, linear_decay, run_stages, step_decay


def quadratic_stage(name: str, target: float, iterations: int = 100, **kwargs) -> tuple[Stage, torch.Tensor]:
    """A stage pulling a 3-vector towards ``target``; returns it with its parameter."""
    w = torch.nn.Parameter(torch.zeros(3))
    stage = Stage(name, [w], lambda: ((w - target) ** 2).sum(), iterations,
                  AdamSettings(lr=0.05), **kwargs)
    return stage, w


def test_stages_run_in_order_and_reach_their_targets():
    first, w1 = quadratic_stage("first", 1.0, 300)
    second, w2 = quadratic_stage("second", -2.0, 300)

    results = run_stages([first, second], Progress())

    assert [r.name for r in results] == ["first", "second"]
    assert torch.allclose(w1, torch.ones(3), atol=1e-2)
    assert torch.allclose(w2, torch.full((3,), -2.0), atol=1e-2)
    assert results[1].final_loss < 1e-3
    assert results[1].history[0][0] == 1 and results[1].history[-1][0] == 300


def test_progress_is_reported_per_stage_with_loss_and_logged():
    reports, logs = [], []
    progress = Progress(report=lambda pct, msg: reports.append((pct, msg)), log=logs.append)
    first, _ = quadratic_stage("a", 1.0, 200)
    second, _ = quadratic_stage("b", 1.0, 200, weight=600.0)

    run_stages([first, second], progress, label="Demo")

    percents = [p for p, _ in reports]
    assert percents == sorted(percents) and percents[-1] == pytest.approx(100.0)
    # the second stage weighs three times the first: it starts at a quarter of the bar
    assert ("Demo stage 2/2 (b): 0/200") in [m for p, m in reports if p == pytest.approx(25.0)]
    assert len(reports) >= 2 * 100  # about every 1 % of each stage
    assert any(m.startswith("Demo stage 1/2 (a): 100/200, loss ") for _, m in reports)
    assert reports[-1][1].endswith(", about 0 s left in this stage")  # the time left, from the pace
    assert 8 <= len(logs) <= 12 and all("loss" in m for m in logs)


def test_cancel_stops_within_one_iteration():
    calls = {"n": 0}
    w = torch.nn.Parameter(torch.zeros(2))

    def loss():
        calls["n"] += 1
        return (w**2).sum()

    progress = Progress(is_cancelled=lambda: calls["n"] >= 37)
    stage = Stage("long", [w], loss, 1_000_000)

    with pytest.raises(Cancelled, match="Cancelled"):
        run_stages([stage], progress)
    assert calls["n"] == 37


def _train_small_net(seed: int) -> torch.Tensor:
    seed_everything(seed)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    stage = Stage("fit", list(net.parameters()), lambda: ((net(x) - y) ** 2).mean(), 50,
                  schedule=linear_decay(50, 25))
    run_stages([stage], Progress())
    return torch.cat([p.detach().ravel() for p in net.parameters()])


def test_same_seed_gives_identical_results():
    assert torch.equal(_train_small_net(3), _train_small_net(3))
    assert not torch.equal(_train_small_net(3), _train_small_net(4))


def test_linear_decay_matches_the_udaln_authors_schedule():
    factor = linear_decay(10, 6)
    values = [factor(i) for i in range(10)]

    assert values[:6] == [1.0] * 6
    assert values[6:] == pytest.approx([4 / 5, 3 / 5, 2 / 5, 1 / 5])


def test_linear_decay_rejects_a_start_after_the_end():
    with pytest.raises(InputError, match="between iteration 0 and the last one"):
        linear_decay(10, 11)


def test_schedule_scales_every_group_learning_rate():
    frozen, w = quadratic_stage("frozen", 1.0, 20, schedule=lambda i: 0.0)

    run_stages([frozen], Progress())

    assert torch.equal(w.detach(), torch.zeros(3))


def test_parameter_groups_keep_their_own_rates():
    a, b = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    stage = Stage("groups", [{"params": [a], "lr": 0.0}, {"params": [b]}],
                  lambda: ((a - 1) ** 2 + (b - 1) ** 2).sum(), 50, AdamSettings(lr=0.1))

    run_stages([stage], Progress())

    assert a.item() == 0.0 and b.item() > 0.5


def test_after_step_projects_parameters():
    stage, w = quadratic_stage("clipped", 1.0, 100, after_step=lambda: w.clamp_(max=0.5))

    run_stages([stage], Progress())

    assert torch.allclose(w.detach(), torch.full((3,), 0.5))


def test_a_diverging_loss_names_stage_and_iteration():
    w = torch.nn.Parameter(torch.zeros(1))
    stage = Stage("broken", [w], lambda: w.sum() * float("nan"), 10)

    with pytest.raises(FusionError, match=r"stage 1/1 \(broken\): the loss became nan at iteration 1"):
        run_stages([stage], Progress())


def test_a_stage_of_zero_iterations_is_skipped():
    stage, w = quadratic_stage("none", 1.0, 0)
    reports = []

    results = run_stages([stage], Progress(report=lambda p, m: reports.append(m)))

    assert torch.equal(w.detach(), torch.zeros(3))
    assert results[0].history == [] and "skipped" in reports[-1]


def test_runs_on_the_parameters_device(device):
    w = torch.nn.Parameter(torch.zeros(3, device=device))
    stage = Stage("device", [w], lambda: ((w - 1) ** 2).sum(), 100, AdamSettings(lr=0.05))

    run_stages([stage], Progress())

    assert w.device.type == device.type and w.detach().min().item() > 0.9


def test_step_decay_halves_at_each_milestone():
    factor = step_decay((25, 45), 0.5)
    assert [factor(i) for i in (0, 24, 25, 44, 45, 500)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_decay_after_starts_at_the_given_fraction():
    factor = decay_after(10, 0.5)
    assert factor(4) == 1.0 and factor(5) < 1.0 and factor(9) > 0.0
