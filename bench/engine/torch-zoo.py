"""PyTorch side of bench/engine for the tfjs-layers zoo models: SGD training steps (lr 0.01,
momentum 0.9, mean cross-entropy) on random data, one thread, with the reference models:
- lenet5: the CIFAR-10 CNN of PyTorch's "Training a classifier" tutorial;
- resnet18: torchvision.models.resnet18(num_classes=10), 32x32x3 inputs;
- resnet18-gn: the same with nn.GroupNorm(2, C) in place of every batch norm;
- char-lstm: Embedding(80, 8), LSTM(8, 256, num_layers=2), Linear(256, 80) on the last step.

Usage: python3 torch-zoo.py <model> <seconds> <batch>; prints one JSON line.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402


class LeNet5(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class CharLstm(nn.Module):
    def __init__(self, vocab=80):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 8)
        self.lstm = nn.LSTM(8, 256, num_layers=2, batch_first=True)
        self.fc = nn.Linear(256, vocab)

    def forward(self, x):
        h, _ = self.lstm(self.embedding(x))
        return self.fc(h[:, -1, :])


def build(kind):
    import torchvision

    if kind == "lenet5":
        return LeNet5()
    if kind == "resnet18":
        return torchvision.models.resnet18(num_classes=10)
    if kind == "resnet18-gn":
        return torchvision.models.resnet18(num_classes=10, norm_layer=lambda c: nn.GroupNorm(2, c))
    if kind == "char-lstm":
        return CharLstm()
    raise SystemExit(f"unknown model {kind}")


def main():
    kind, seconds, batch = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    torch.manual_seed(42)
    model = build(kind)
    gen = torch.Generator().manual_seed(7)
    if kind == "char-lstm":
        xs = [torch.randint(0, 80, (batch, 80), generator=gen) for _ in range(4)]
        ys = [torch.randint(0, 80, (batch,), generator=gen) for _ in range(4)]
    else:
        xs = [torch.randn((batch, 3, 32, 32), generator=gen) for _ in range(4)]
        ys = [torch.randint(0, 10, (batch,), generator=gen) for _ in range(4)]
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    crit = nn.CrossEntropyLoss()

    def step(i):
        loss = crit(model(xs[i % 4]), ys[i % 4])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(3):
        step(i)
    times = []
    cpu = []
    start = time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < seconds:
        t0, c0 = time.perf_counter(), time.process_time()
        step(len(times))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    times.sort()
    cpu.sort()
    median = times[len(times) // 2]
    cpu_median = cpu[len(cpu) // 2]
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({
        "engine": "pytorch",
        "model": kind,
        "batch": batch,
        "torch": torch.__version__,
        "parameters": params,
        "steps": len(times),
        "trainStepMsMedian": round(median * 1000, 3),
        "trainSamplesPerSec": round(batch / median, 1),
        "trainCpuMsMedian": round(cpu_median * 1000, 3),
        "trainSamplesPerCpuSec": round(batch / cpu_median, 1),
    }))


if __name__ == "__main__":
    main()
