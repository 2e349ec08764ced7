"""Pretrain UAL's mutual-guiding fusion module on real scenes with synthetic degradations.

Training scenes (``../shared/data``; never a benchmark scene): AVIRIS Santa Barbara (water
bands dropped), HYDICE Urban crop, HYDICE Urban R162 sub-image, ROSIS Pavia University
sub-image. Each epoch draws, for every scene and ratio, a fresh degradation (random Gaussian
PSF, a real sensor SRF shifted and stretched at random, noise; see
:mod:`fusion_core.pretrained.synthetic`), brings the pair to the subspace layout as UAL does at
test time, and trains on random patches with the L1 loss on all bands (each divided by its
peak, so dark bands count as much as bright ones) and Adam (rate 1e-4, ×0.7 every 10
epochs), as in the paper (section 4.1).

Usage:
    python scripts/pretrain_ual.py            # CPU setting: width 32, ~25 min on one core
    python scripts/pretrain_ual.py --paper    # the paper's: 64 kernels, 128×128 patches, 150 epochs

Writes ``fusion_core/methods/ual/weights/mutual_guiding_fusion.pt`` and its JSON record.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from training_scenes import TRAINING_SCENES, load_training_scene  # noqa: E402

from fusion_core.device import resolve_device, seed_everything  # noqa: E402
from fusion_core.methods.ual.networks import MutualGuidingFusion  # noqa: E402
from fusion_core.methods.ual.pretrained import NETWORK, WEIGHTS  # noqa: E402
from fusion_core.pretrained import (  # noqa: E402
    LAYOUT,
    DegradationRanges,
    covered_bands,
    load_weights,
    random_patches,
    run_record,
    save_weights,
    synthetic_pair,
    training_example,
)
from fusion_core.srf import load_preset  # noqa: E402

SENSORS = ("sentinel-2a", "landsat-8", "worldview-2")
RATIOS = (3, 4, 8)
#: A (scene, ratio) pair is used only if its LR-HSI has at least this many pixels.
MIN_LR_PIXELS = 100


def band_l1(coeff_error: torch.Tensor, decoder: torch.Tensor) -> torch.Tensor:
    """L1 of a coefficient error ``(B, K, h, w)`` on all bands, each band divided by its peak
    (``decoder`` ``(C, K)`` already divided), so dark and bright bands count alike, as in the
    per-band PSNR."""
    return torch.einsum("bkhw,ck->bchw", coeff_error, decoder).abs().mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paper", action="store_true", help="64 kernels, 128×128 patches, 150 epochs")
    parser.add_argument("--epochs", type=int, help="default 150 (--paper) or 40")
    parser.add_argument("--width", type=int, help="kernels per convolution; default 64 (--paper) or 32")
    parser.add_argument("--patch", type=int, help="patch size in HR pixels; default 128 (--paper) or 32")
    parser.add_argument("--batch", type=int, default=6, help="patches per step (the paper's 6)")
    parser.add_argument("--steps-per-scene", type=int, default=4, help="steps per scene and ratio per epoch")
    parser.add_argument("--k", type=int, default=12, help="subspace coefficients")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=0.0, help="stop after this long (0: no limit)")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--init", type=Path, help="start from these weights (same k and width; their record is kept)")
    args = parser.parse_args()
    epochs = args.epochs or (150 if args.paper else 40)
    width = args.width or (64 if args.paper else 32)
    patch = args.patch or (128 if args.paper else 32)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    ranges = DegradationRanges()

    scenes = {name: load_training_scene(name) for name in TRAINING_SCENES}
    tables = [load_preset(s) for s in SENSORS]
    jobs = [(name, r) for name, scene in scenes.items() for r in RATIOS
            if (scene.cube.shape[1] // r) * (scene.cube.shape[2] // r) >= MIN_LR_PIXELS]
    print("training scenes × ratios:", ", ".join(f"{n.split('_')[0]}…×{r}" for n, r in jobs), flush=True)

    net = MutualGuidingFusion(args.k, width, 3).to(device)
    init_record = None
    if args.init:
        state, init_record = load_weights(args.init, {"network": NETWORK, "k": args.k, "width": width}, device)
        net.load_state_dict(state)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    decay = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.7)
    start, done_epochs, history = time.monotonic(), 0, []
    for epoch in range(epochs):
        losses, skip_losses = [], []
        for j in rng.permutation(len(jobs)):
            name, r = jobs[j]
            cube, wl = scenes[name].cube, scenes[name].wavelengths
            table = covered_bands(tables[rng.integers(len(tables))], wl)
            example = training_example(*synthetic_pair(cube, wl, table, r, rng, ranges), k=args.k)
            size = min(patch, *example.target.shape[1:])
            decoder = (example.decoder / example.band_peak[:, None]).to(device)
            for _ in range(args.steps_per_scene):
                guidance, upsampled, target = (t.to(device) for t in random_patches(example, size, args.batch, rng))
                loss = band_l1(net(guidance, upsampled) - target, decoder)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
                skip_losses.append(float(band_l1(guidance - target, decoder)))
        decay.step()
        done_epochs = epoch + 1
        minutes = (time.monotonic() - start) / 60
        history.append([done_epochs, float(np.mean(losses)), float(np.mean(skip_losses))])
        print(f"epoch {done_epochs}/{epochs}: L1 {np.mean(losses):.5f} "
              f"(MSI guidance alone {np.mean(skip_losses):.5f}), "
              f"{minutes:.1f} min", flush=True)
        if args.max_minutes and minutes >= args.max_minutes:
            print("time limit reached", flush=True)
            break

    record = run_record(
        method="UAL (Zhang et al., CVPR 2020)",
        network=NETWORK,
        k=args.k, width=width, depth=3,
        layout=LAYOUT,
        training_scenes=list(TRAINING_SCENES),
        benchmark_scenes_used=False,
        sensors=list(SENSORS),
        ratios=list(RATIOS),
        degradation_ranges=ranges.to_dict(),
        epochs=done_epochs, epochs_planned=epochs, steps_per_scene=args.steps_per_scene,
        patch_size=patch, batch=args.batch,
        loss="L1 on all bands (decoded coefficient error), each band divided by its reference peak",
        optimizer=f"Adam lr {args.lr}, ×0.7 every 10 epochs",
        seed=args.seed, device=str(device), threads=args.threads,
        wall_time_s=round(time.monotonic() - start, 1),
        history_epoch_l1_guidance_l1=history,
        command=" ".join(sys.argv),
        initialised_from=init_record,
    )
    save_weights(args.out, net.state_dict(), record)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) and its record", flush=True)


if __name__ == "__main__":
    main()
