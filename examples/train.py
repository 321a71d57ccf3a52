"""Train the example CNN on its synthetic bars and save three state_dict checkpoints (epoch1..3.pt).

python examples/train.py [--out examples/checkpoints]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cnn import bars, make_model  # noqa: E402


def train(out: str | Path, epochs: int = 3, n_train: int = 384, seed: int = 0) -> list[Path]:
    """Adam on minibatches of 32; the state_dict after each epoch goes to `out/epoch<i>.pt`."""
    torch.manual_seed(seed)
    model = make_model()
    images, labels = bars(n_train, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n_train)
        for batch in order.split(32):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images[batch]), labels[batch])
            loss.backward()
            optimizer.step()
        paths.append(out / f"epoch{epoch}.pt")
        torch.save(model.state_dict(), paths[-1])
        print(f"epoch {epoch}: loss {loss.item():.4f} -> {paths[-1]}")
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "checkpoints"))
    train(parser.parse_args().out)
