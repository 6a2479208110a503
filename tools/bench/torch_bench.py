"""PyTorch side of `npx nx run bench:compare`: the same three workloads as losslab's fit.

mlp:  MNIST train (60,000 images, pixels / 255), MLP 784 -> 64 relu -> 10 softmax, Glorot-uniform
      kernels and zero biases, loss = categorical cross-entropy on the digit one-hot times the
      is-odd flag (masked), mean over the batch; Adam (lr 1e-3, betas 0.9/0.999, eps 1e-7);
      batch 128, shuffled, last partial batch dropped (468 steps).
lstm: the windows losslab wrote to --data (float32 [n, 30, 1] then float32 labels [n, 2]);
      LSTM(32) -> dense 2 softmax, L1 = mean |p - y| over the 2 columns, mean over the batch;
      Adam as above; batch 64 (64 steps).
cnn:  the first --images=N MNIST training images (default 5,000, as experiments/mnist-cnn.ts), pixels / 255,
      conv 8 3x3 relu -> max-pool 2 -> conv 16 3x3 relu -> max-pool 2 -> flatten -> dropout 0.25
      -> dense 10 softmax (5,258 parameters; 'valid' padding, stride 1, as Keras' defaults),
      Glorot-uniform kernels and zero biases; categorical cross-entropy (probabilities clipped to
      [1e-7, 1 - 1e-7] as Keras), mean over the batch; Adam lr 0.003; batch 64, shuffled, the last
      partial batch kept (79 steps for 5,000 images). Channels-first, PyTorch's native layout (the
      flatten order differs from Keras' channels-last one; with random initial weights that changes nothing).

Usage: /usr/bin/python3 torch_bench.py mlp|lstm|cnn --threads=N --epochs=E [--mnist=DIR] [--data=FILE] [--images=N]
Prints one JSON line: {"workload", "threads", "torch", "seconds": [per epoch], "loss": [per epoch]}.
"""
import json
import os
import sys
import time

import numpy as np
import torch


def option(name, default=None):
    for arg in sys.argv[2:]:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return default


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mlp_workload():
    root = option("mnist")
    images = read_idx(os.path.join(root, "train-images-idx3-ubyte"))
    digits = read_idx(os.path.join(root, "train-labels-idx1-ubyte")).astype(np.int64)
    x = torch.from_numpy(images.reshape(len(images), 784).astype(np.float32) / 255.0)
    y = torch.zeros(len(digits), 11)
    y[torch.arange(len(digits)), torch.from_numpy(digits)] = 1
    y[:, 10] = torch.from_numpy((digits % 2).astype(np.float32))
    model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10), torch.nn.Softmax(dim=1))
    for layer in (model[0], model[2]):
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)

    def loss_fn(pred, labels):
        p = pred.clamp(1e-7, 1 - 1e-7)
        per_sample = -(labels[:, :10] * torch.log(p)).sum(dim=1) * labels[:, 10]
        return per_sample.mean()

    return model, loss_fn, x, y, 128


class LstmClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(1, 32, batch_first=True)
        self.dense = torch.nn.Linear(32, 2)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return torch.softmax(self.dense(h[-1]), dim=1)


def lstm_workload():
    raw = np.fromfile(option("data"), dtype=np.float32)
    n = raw.size // 32  # 30 frames + 2 label columns per window
    x = torch.from_numpy(raw[: n * 30].reshape(n, 30, 1).copy())
    y = torch.from_numpy(raw[n * 30:].reshape(n, 2).copy())
    model = LstmClassifier()

    def loss_fn(pred, labels):
        return (pred - labels).abs().mean(dim=1).mean()

    return model, loss_fn, x, y, 64


def cnn_workload():
    root = option("mnist")
    count = int(option("images", "5000"))
    images = read_idx(os.path.join(root, "train-images-idx3-ubyte"))[:count]
    digits = read_idx(os.path.join(root, "train-labels-idx1-ubyte"))[:count].astype(np.int64)
    x = torch.from_numpy(images.reshape(count, 1, 28, 28).astype(np.float32) / 255.0)
    y = torch.zeros(count, 10)
    y[torch.arange(count), torch.from_numpy(digits)] = 1
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(400, 10), nn.Softmax(dim=1),
    )
    for layer in (model[0], model[3], model[8]):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)

    def loss_fn(pred, labels):
        return -(labels * torch.log(pred.clamp(1e-7, 1 - 1e-7))).sum(dim=1).mean()

    return model, loss_fn, x, y, 64


WORKLOADS = {
    # name: (build, Adam's learning rate, whether the last partial batch is trained)
    "mlp": (mlp_workload, 1e-3, False),
    "lstm": (lstm_workload, 1e-3, False),
    "cnn": (cnn_workload, 3e-3, True),
}


def main():
    workload = sys.argv[1]
    threads = int(option("threads", "1"))
    epochs = int(option("epochs", "3"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    build, learning_rate, keep_remainder = WORKLOADS[workload]
    model, loss_fn, x, y, batch = build()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, betas=(0.9, 0.999), eps=1e-7)
    steps = -(-len(x) // batch) if keep_remainder else len(x) // batch
    seconds, losses = [], []
    for _ in range(epochs):
        started = time.perf_counter()
        order = torch.randperm(len(x))
        total = 0.0
        for s in range(steps):
            rows = order[s * batch:(s + 1) * batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[rows]), y[rows])
            loss.backward()
            optimizer.step()
            total += loss.item()  # one readback per step, as losslab's fit does
        seconds.append(time.perf_counter() - started)
        losses.append(total / steps)
    print(json.dumps({"workload": workload, "threads": threads, "torch": torch.__version__, "seconds": seconds, "loss": losses}))


if __name__ == "__main__":
    main()
