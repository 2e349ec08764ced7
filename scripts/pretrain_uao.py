"""MAML pre-training of UAO's reconstruction network (Nie et al., eq. 8 and supplement §6.2).

Each task is a synthetic blind fusion problem made exactly as UAO meets one at test time:

1. a random crop of a real training scene (never a benchmark scene), randomly rotated and
   flipped, is degraded with a random Gaussian PSF, a randomly shifted and stretched real
   sensor SRF and noise (:func:`fusion_core.pretrained.synthetic_pair`; the paper's kernel
   ranges, size 5–15 and std 0.5–2 HR pixels, scaled with the ratio);
2. k_0 and P_0 are the engine's blind estimate from the pair (the "default kernel and SRF"
   UAO starts from), the subspace adapter is fitted from the pair, and the pretrained UAL
   backbone gives the rough estimate Ẑ;
3. inner loop: a few steps of the test-time loss (the fused image degraded with k_0 and P_0
   against both inputs, L1) with the test-time optimiser, a fresh Adam at the task-level rate α;
4. meta-loss: L1 between the adapted network's image and the reference, on full bands.

Gaps the paper leaves, filled as follows (and recorded in the JSON next to the weights):

* first-order MAML (the gradient of the meta-loss at the adapted weights updates the
  initialisation), which the network's size does not need but a CPU budget does;
* the inner loop takes Adam steps, not the plain gradient steps of eq. 8: UAO starts a fresh
  Adam at every alternation, whose first steps move each weight by about α whatever the size of
  its gradient, whereas a plain step of α = 1e-3 on an L1 loss would leave the weights almost
  where they are;
* the meta-update uses Adam at the task-level rate α (the paper gives one rate, "initial
  task-level learning rate 1e-3, halved after every 10 epochs"), both halved every 10 epochs;
* an epoch is ``--steps`` meta-updates of ``--meta-batch`` tasks each (the paper's epoch runs
  over its CAVE/Harvard training set, which we do not have).

Usage:
    python scripts/pretrain_uao.py            # CPU default (12 epochs): 11–15 minutes on one thread
    python scripts/pretrain_uao.py --paper    # the paper's 100 epochs
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training_scenes import SHARED, TRAINING_SCENES, Scene, load_training_scene  # noqa: E402

from fusion_core.degradation import DegradationModel  # noqa: E402
from fusion_core.device import seed_everything  # noqa: E402
from fusion_core.errors import InputError  # noqa: E402
from fusion_core.estimation import estimate_degradation  # noqa: E402
from fusion_core.losses import l1_loss, reconstruction_loss  # noqa: E402
from fusion_core.methods.ual.pretrained import WEIGHTS as BACKBONE_WEIGHTS  # noqa: E402
from fusion_core.methods.ual.pretrained import load_pretrained_fusion  # noqa: E402
from fusion_core.methods.uao.guidance import spatial_guidance, spectral_guidance  # noqa: E402
from fusion_core.methods.uao.networks import ReconstructionNet  # noqa: E402
from fusion_core.methods.uao.pretrained import NETWORK, WEIGHTS  # noqa: E402
from fusion_core.pretrained import (  # noqa: E402
    LAYOUT,
    DegradationRanges,
    SubspaceAdapter,
    covered_bands,
    run_record,
    save_weights,
    synthetic_pair,
)
from fusion_core.srf import read_srf_csv  # noqa: E402
from fusion_core.training import AdamSettings  # noqa: E402

#: Sensors whose SRFs (perturbed) simulate the HR-MSI; a task uses those bands a scene covers.
SRF_TABLES = ("srf_sentinel2a_msi.csv", "srf_landsat8_oli.csv", "srf_worldview2.csv",
              "srf_worldview3_vnir.csv")


@dataclass
class Task:
    """One synthetic blind fusion problem, tensors batched ``(1, ·, H, W)``."""

    rough: torch.Tensor
    detail: torch.Tensor
    visible: torch.Tensor
    adapter: SubspaceAdapter
    outside: torch.Tensor
    lr_hsi: torch.Tensor
    hr_msi: torch.Tensor
    reference: torch.Tensor
    model: DegradationModel

    def image(self, coefficients: torch.Tensor) -> torch.Tensor:
        """Full-band image of coefficient maps, as UAO decodes them."""
        return self.adapter.decode(coefficients) + self.outside


def make_task(scene: Scene, table, scale: int, size: int, backbone, rng: np.random.Generator,
              ranges: DegradationRanges) -> Task:
    """A random crop of ``scene`` (``size`` HR pixels), rotated/flipped, as a blind fusion task."""
    _, h, w = scene.cube.shape
    i, j = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    crop = np.rot90(scene.cube[:, i : i + size, j : j + size], int(rng.integers(4)), axes=(1, 2))
    crop = np.ascontiguousarray(crop[:, :, ::-1] if rng.random() < 0.5 else crop)
    reference, lr, hr, _ = synthetic_pair(crop, scene.wavelengths, table, scale, rng, ranges)
    model = estimate_degradation(lr, hr, scale, hsi_wavelengths=scene.wavelengths)
    lr_t, hr_t = torch.from_numpy(lr), model.calibrated_msi(torch.from_numpy(hr))  # as UAO sees it
    adapter = SubspaceAdapter.fit(lr_t, hr_t, model.psf, scale, backbone.record["k"])
    with torch.no_grad():
        rough = backbone(*adapter.network_inputs(lr_t, hr_t))
        psf, srf = torch.as_tensor(model.psf).float(), torch.as_tensor(model.srf).float()
        detail = spatial_guidance(rough, psf)
        visible = spectral_guidance(rough, srf, adapter.basis * adapter.spread)
    return Task(rough, detail, visible, adapter, adapter.outside(lr_t, scale), lr_t[None], hr_t[None],
                torch.from_numpy(reference)[None], model)


def draw_task(scenes: list[Scene], tables: list, ratios: list[int], crop_lr: int, backbone,
              rng: np.random.Generator, ranges: DegradationRanges) -> Task:
    """A task on a random scene, sensor and ratio; draws again when the perturbed SRF leaves the
    scene's wavelengths (an edge band shifted past the last HSI band)."""
    while True:
        scale = int(rng.choice(ratios))
        fitting = [s for s in scenes if min(s.cube.shape[1:]) >= crop_lr * scale]
        scene = fitting[rng.integers(len(fitting))]
        try:
            table = covered_bands(tables[rng.integers(len(tables))], scene.wavelengths)
            return make_task(scene, table, scale, crop_lr * scale, backbone, rng, ranges)
        except InputError:
            continue


def task_losses(net: ReconstructionNet, task: Task, inner_steps: int, alpha: float
                ) -> tuple[float, float, float, list[torch.Tensor]]:
    """First-order MAML on one task: adapt a copy of ``net`` with ``inner_steps`` steps of a
    fresh Adam (rate ``alpha``, torch's default moments) on the test-time loss, then return the L1
    to the reference of the rough estimate, of the network before adaptation and after, and the
    gradient of the last w.r.t. the adapted weights."""
    params = [p.detach().clone().requires_grad_(True) for p in net.parameters()]
    names = [name for name, _ in net.named_parameters()]

    def forward() -> torch.Tensor:
        weights = dict(zip(names, params))
        coefficients = torch.func.functional_call(net, weights, (task.rough, task.detail, task.visible))
        return task.image(coefficients)

    with torch.no_grad():
        rough = float(l1_loss(task.image(task.rough), task.reference))
        before = float(l1_loss(forward(), task.reference))
    psf, srf = torch.as_tensor(task.model.psf).float(), torch.as_tensor(task.model.srf).float()
    (beta1, beta2), eps = AdamSettings().betas, 1e-8
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    for t in range(1, inner_steps + 1):
        loss = reconstruction_loss(forward(), task.lr_hsi, task.hr_msi, psf, srf, task.model.scale)
        grads = torch.autograd.grad(loss, params)
        first = [beta1 * m + (1 - beta1) * g for m, g in zip(first, grads)]
        second = [beta2 * v + (1 - beta2) * g * g for v, g in zip(second, grads)]
        steps = [alpha * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps) for m, v in zip(first, second)]
        params = [(p - step).detach().requires_grad_(True) for p, step in zip(params, steps)]
    meta = l1_loss(forward(), task.reference)
    return rough, before, float(meta.detach()), list(torch.autograd.grad(meta, params))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paper", action="store_true", help="the paper's 100 epochs")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 12, --paper 100)")
    parser.add_argument("--steps", type=int, default=8, help="meta-updates per epoch")
    parser.add_argument("--meta-batch", type=int, default=4, help="tasks per meta-update")
    parser.add_argument("--inner-steps", type=int, default=5, help="Adam steps of the test-time loss per task")
    parser.add_argument("--lr", type=float, default=1e-3, help="task-level rate α (and the meta rate)")
    parser.add_argument("--halve-every", type=int, default=10, help="epochs between halvings of the rates")
    parser.add_argument("--width", type=int, default=32, help="feature maps per branch of the network")
    parser.add_argument("--ratios", default="4,8", help="resolution ratios the tasks are drawn from")
    parser.add_argument("--crop-lr", type=int, default=10, help="crop size in LR pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder of the training scenes")
    parser.add_argument("--backbone", type=Path, default=BACKBONE_WEIGHTS, help="UAL backbone weights")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="weights file (JSON record next to it)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    epochs = args.epochs or (100 if args.paper else 12)
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    ratios = [int(r) for r in args.ratios.split(",")]
    ranges = DegradationRanges()
    scenes = [load_training_scene(f, args.shared) for f in TRAINING_SCENES]
    tables = [read_srf_csv(args.shared / "srf" / name) for name in SRF_TABLES]
    backbone = load_pretrained_fusion(torch.device("cpu"), args.backbone)
    net = ReconstructionNet(backbone.record["k"], args.width)
    optimiser = torch.optim.Adam(net.parameters(), lr=args.lr)
    history, started = [], time.time()
    for epoch in range(epochs):
        alpha = args.lr * 0.5 ** (epoch // args.halve_every)
        for group in optimiser.param_groups:
            group["lr"] = alpha
        roughs, befores, afters = [], [], []
        for _ in range(args.steps):
            total = [torch.zeros_like(p) for p in net.parameters()]
            for _ in range(args.meta_batch):
                task = draw_task(scenes, tables, ratios, args.crop_lr, backbone, rng, ranges)
                rough, before, after, grads = task_losses(net, task, args.inner_steps, alpha)
                roughs.append(rough)
                befores.append(before)
                afters.append(after)
                total = [t + g / args.meta_batch for t, g in zip(total, grads)]
            optimiser.zero_grad(set_to_none=True)
            for p, g in zip(net.parameters(), total):
                p.grad = g
            optimiser.step()
        history.append({"epoch": epoch + 1, "rate": alpha, "rough_estimate_loss": float(np.mean(roughs)),
                        "meta_loss_before_adaptation": float(np.mean(befores)),
                        "meta_loss_after_adaptation": float(np.mean(afters))})
        print(f"epoch {epoch + 1}/{epochs}: rate {alpha:.2e}, L1 to reference: rough estimate "
              f"{np.mean(roughs):.5f}, network before/after adaptation {np.mean(befores):.5f}/"
              f"{np.mean(afters):.5f} ({time.time() - started:.0f} s)", flush=True)
    record = run_record(
        network=NETWORK, layout=LAYOUT, k=net.coefficients, width=net.width,
        method="UAO reconstruction network G, first-order MAML initialisation (Nie et al. eq. 8, supp. §6.2)",
        backbone={"weights": str(args.backbone.relative_to(REPO)) if args.backbone.is_relative_to(REPO)
                  else str(args.backbone), "record_date": backbone.record.get("date_utc"),
                  "record_commit": backbone.record.get("git_commit")},
        training_scenes=list(TRAINING_SCENES), srf_tables=list(SRF_TABLES), ratios=ratios,
        crop_lr_pixels=args.crop_lr, degradation_ranges=ranges.to_dict(),
        initial_degradation="blind estimate of fusion_core.estimation.estimate_degradation from each pair",
        epochs=epochs, meta_updates_per_epoch=args.steps, meta_batch=args.meta_batch,
        inner_steps=args.inner_steps, inner_optimiser="Adam (fresh per task, as at each test-time alternation)",
        meta_optimiser="Adam",
        rate=args.lr, halve_every_epochs=args.halve_every, first_order=True,
        inner_loss="L1(Φ(Z), X) + L1(Ψ(Z), Y) with the blind k0, P0", meta_loss="L1(Z, reference), full bands",
        command="python scripts/pretrain_uao.py " + " ".join(sys.argv[1:]), seed=args.seed,
        threads=args.threads, device="cpu", paper_settings=args.paper,
        wall_time_s=round(time.time() - started, 1), history=history,
    )
    save_weights(args.out, net.state_dict(), record)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
