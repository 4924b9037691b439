"""PyTorch side of bench/engine-native: the same training step as run-engine.ts (random data, 4
fixed batches, SGD lr 0.01, mean cross-entropy), on one thread, with the models of the reference
benchmark (../shared/bench-ref/fedcommon.py, found through PYTHONPATH).

Usage: python3 torch-steps.py <mlp|cnn> <steps> <batch>; prints one JSON line.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

import fedcommon  # noqa: E402


def main():
    kind, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    torch.manual_seed(42)
    model = fedcommon.FedAvgCNN() if kind == "cnn" else fedcommon.FedAvgMLP()
    shape = (batch, 1, 28, 28) if kind == "cnn" else (batch, 784)
    gen = torch.Generator().manual_seed(7)
    xs = [torch.rand(shape, generator=gen) for _ in range(4)]
    ys = [torch.randint(0, 10, (batch,), generator=gen) for _ in range(4)]
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    crit = torch.nn.CrossEntropyLoss()

    def step(i):
        loss = crit(model(xs[i % 4]), ys[i % 4])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(300 if kind == "mlp" else 5):
        step(i)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    loss = 0.0
    for i in range(steps):
        loss = step(i)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({
        "engine": "torch",
        "model": kind,
        "batch": batch,
        "steps": steps,
        "torch": torch.__version__,
        "msPerStep": round(wall * 1000 / steps, 3),
        "cpuMsPerStep": round(cpu * 1000 / steps, 3),
        "samplesPerSec": round(steps * batch / wall, 1),
        "lastLoss": round(loss, 5),
    }))


if __name__ == "__main__":
    main()
