"""Fully connected tanh networks, as a module (for init and interop) and as a batched function.

The batched function evaluates B parameter vectors at once with one `bmm` per layer and carries the
directional input derivative alongside the value (forward-mode by hand), which a PINN residual needs.
Activations are features-major [B, width + 1, rows] whose last row is 1 for value rows and 0 for
tangent rows, so one bmm applies weights and biases to values and tangents at once.

Two paths compute the same function. On CPU in float32 off the tape (landscapes), a first layer of two
inputs (a PINN's x, t) is one numba pass, and each other hidden layer one bmm into a reused buffer, then
one numba pass (threaded when torch is) that writes tanh of the value rows, by a rational minimax
within 4 ulp, and the tangent (1 - y^2) g; sub-batches of a few MB keep the buffers in cache whatever
the chunk size. torch's CPU sigmoid runs at ~1 G elements/s per core and tanh at a third of
that; the numba tanh at ~3. What remains (2 threads, 51x51 PINN grid): bmm of the 50x51 weights, about
half the time at ~75% of the matmul peak; the numba passes ~40%, bound by memory traffic more than math.
Elsewhere (taped, float64, CUDA) tanh is 2 sigmoid(2h) - 1 with the affine parts folded into the
weights (torch's CPU tanh costs ~4x its sigmoid) and the tangent update is one `sigmoid_backward`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import torch
from torch import Tensor, nn

from losstopo.problems.base import ParamSpec


class MLP(nn.Module):
    """widths[0] -> widths[1] -> ... -> widths[-1], tanh between layers, PyTorch default init."""

    def __init__(self, widths: list[int]) -> None:
        super().__init__()
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"an MLP needs >= 2 positive layer widths, got {widths}")
        self.widths = list(widths)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.tanh(x)
        return x


def mlp_spec(widths: list[int]) -> ParamSpec:
    """The flat layout of `MLP(widths)`: per layer its weight [out, in] then its bias [out]."""
    shapes = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        shapes += [(f"layers.{i}.weight", (b, a)), (f"layers.{i}.bias", (b,))]
    return ParamSpec.from_shapes(shapes)


class Workspace:
    """Hidden-layer buffers reused across calls: fresh multi-MB tensors per chunk cost page faults."""

    def __init__(self) -> None:
        self.buffers: dict[tuple, Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...], like: Tensor) -> Tensor:
        key = (name, shape, like.dtype, like.device)
        if key not in self.buffers:
            self.buffers[key] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return self.buffers[key]


def batched_mlp(
    spec: ParamSpec,
    thetas: Tensor,
    x: Tensor,
    n_tangent: int = 0,
    direction: Tensor | None = None,
    workspace: Workspace | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Outputs [B, N, out] of B networks at inputs x [N, in], and derivatives along `direction`.

    The derivative d/ds u(x + s * direction) is returned for the first `n_tangent` rows of x, as a
    tensor [B, n_tangent, out] (None when n_tangent is 0). With a `workspace` the hidden buffers are
    reused (fast, not differentiable); without one the result is twice differentiable in `thetas`.
    """
    if workspace is not None and thetas.device.type == "cpu" and thetas.dtype == torch.float32:
        return _fused_cpu_mlp(spec, thetas, x, n_tangent, direction, workspace)

    def buffer(name: str, shape: tuple[int, ...]) -> Tensor | None:
        return workspace.get(name, shape, thetas) if workspace is not None else None

    params = spec.unflatten(thetas)
    n_layers = len(spec.blocks) // 2
    batch, n = thetas.shape[0], x.shape[0]
    rows = n + n_tangent
    w0, b0 = params["layers.0.weight"], params["layers.0.bias"]
    # g = 2 h, the sigmoid's argument; its tangent along `direction` is the same for every row.
    g = torch.baddbmm(b0.unsqueeze(2), w0, x.T.to(thetas.dtype).expand(batch, -1, -1), beta=2, alpha=2,
                      out=buffer("g1", (batch, w0.shape[1], n)))
    if n_tangent:
        dg = 2 * torch.matmul(w0, direction.to(thetas.dtype).reshape(-1, 1))
    bias_row = torch.cat([torch.ones(n), torch.zeros(n_tangent)]).to(thetas)  # biases act on values only
    for i in range(1, n_layers):
        w, b = params[f"layers.{i}.weight"], params[f"layers.{i}.bias"]
        width = w.shape[2]
        act = buffer(f"act{i % 2}", (batch, width + 1, rows))
        s = torch.sigmoid(g[:, :, :n], out=None if act is None else act[:, :width, :n])
        tangent = None
        if n_tangent:
            tangent_in = dg.expand(-1, -1, n_tangent) if i == 1 else g[:, :, n:]
            if act is None:
                tangent = torch.ops.aten.sigmoid_backward(tangent_in, s[:, :, :n_tangent])
            else:
                torch.ops.aten.sigmoid_backward.grad_input(tangent_in, s[:, :, :n_tangent],
                                                           grad_input=act[:, :width, n:])
        if act is None:
            act = torch.cat([torch.cat([s, tangent], dim=2) if n_tangent else s,
                             bias_row.expand(batch, 1, rows)], dim=1)
        else:
            act[:, width] = bias_row
        # next g = 2 h' = s (4 W)^T + 2 (b - W 1); the output layer takes h = s (2 W)^T + (b - W 1).
        last = i == n_layers - 1
        scale = 2.0 if last else 4.0
        folded = torch.cat([w * scale, (b - w.sum(dim=2)).unsqueeze(2) * (scale / 2)], dim=2)
        g = torch.bmm(folded, act, out=None if last else buffer(f"g{i % 2}", (batch, w.shape[1], rows)))
    if n_layers == 1:
        g = g / 2
        tangent_out = dg.expand(-1, -1, n_tangent) / 2 if n_tangent else None
    else:
        tangent_out = g[:, :, n:] if n_tangent else None
    values = g[:, :, :n].transpose(1, 2)
    return values, None if tangent_out is None else tangent_out.transpose(1, 2)


def _fused_cpu_mlp(
    spec: ParamSpec, thetas: Tensor, x: Tensor, n_tangent: int, direction: Tensor | None, workspace: Workspace
) -> tuple[Tensor, Tensor | None]:
    """`batched_mlp` on CPU in float32: per layer one bmm, then tanh and tangent in one numba pass,
    over sub-batches whose hidden buffers stay in cache whatever the chunk size."""
    params = spec.unflatten(thetas)
    n_layers = len(spec.blocks) // 2
    batch, n = thetas.shape[0], x.shape[0]
    rows = n + n_tangent
    # Weights with the bias as a last column, acting on features-major inputs whose last row is 1 for
    # value rows and 0 for tangent rows; the inputs' tangent rows hold the direction.
    weights = [torch.cat([params[f"layers.{i}.weight"], params[f"layers.{i}.bias"].unsqueeze(2)], dim=2)
               for i in range(n_layers)]
    inputs = torch.zeros(x.shape[1] + 1, rows, dtype=thetas.dtype)
    inputs[:-1, :n], inputs[-1, :n] = x.T, 1.0
    if n_tangent:
        inputs[:-1, n:] = direction.to(thetas.dtype).reshape(-1, 1)
    out = torch.empty(batch, weights[-1].shape[1], rows, dtype=thetas.dtype)
    widest = max(w.shape[1] for w in weights[:-1]) if n_layers > 1 else 1
    step = max(1, SUB_BATCH_BYTES // (thetas.element_size() * (2 * widest + 1) * rows))
    for start in range(0, batch, step):
        stop = min(start + step, batch)
        act = inputs.expand(stop - start, -1, -1)
        for i, w in enumerate(weights[:-1]):
            previous = act
            act = workspace.get(f"act{i % 2}", (stop - start, w.shape[1] + 1, rows), thetas)
            if i == 0 and w.shape[2] == 3:  # (x, t) and the bias: summed in the numba pass, not a bmm
                _input_layer(w[start:stop].numpy(), inputs.numpy(), act.numpy(), n)
                continue
            g = workspace.get("g", (stop - start, w.shape[1], rows), thetas)
            torch.bmm(w[start:stop], previous, out=g)
            _tanh_layer(g.numpy(), act.numpy(), n)
        torch.bmm(weights[-1][start:stop], act, out=out[start:stop])
    return out[:, :, :n].transpose(1, 2), out[:, :, n:].transpose(1, 2) if n_tangent else None


SUB_BATCH_BYTES = 4 * 2**20  # the fused path's hidden buffers per sub-batch: a share of the L2/L3 cache
_CLAMP = np.float32(7.90531110763549805)  # float32 tanh rounds to +-1 beyond this


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy", cache=True)
def _tanh32(x):
    """tanh in float32 by the odd 13/6 rational minimax of Eigen/XLA/MLAS (max error ~3 ulp)."""
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = np.float32(-2.76076847742355e-16)
    p = p * x2 + np.float32(2.00018790482477e-13)
    p = p * x2 + np.float32(-8.60467152213735e-11)
    p = p * x2 + np.float32(5.12229709037114e-08)
    p = p * x2 + np.float32(1.48572235717979e-05)
    p = p * x2 + np.float32(6.37261928875436e-04)
    p = p * x2 + np.float32(4.89352455891786e-03)
    q = np.float32(1.19825839466702e-06)
    q = q * x2 + np.float32(1.18534705686654e-04)
    q = q * x2 + np.float32(2.26843463243900e-03)
    q = q * x2 + np.float32(4.89352518554385e-03)
    return x * p / q


@numba.njit(inline="always", error_model="numpy")
def _feature(act, n, k):
    """Sample b, feature j and act's row of a layer pass's flat index k; the last feature is the bias
    row, written here (1 on the n value columns, 0 on tangents)."""
    features = act.shape[1]
    b, j = k // features, k % features
    out = act[b, j]
    if j == features - 1:
        out[:n] = 1.0
        out[n:] = 0.0
    return b, j, out


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")
def _tanh_column(g, act, n, k):
    """Feature k of `_tanh_layer`'s flat (sample, feature) index: tanh values, tangents or bias row."""
    b, j, out = _feature(act, n, k)
    if j == g.shape[1]:
        return
    rows = g.shape[2]
    pre = g[b, j]
    for r in range(n):
        out[r] = _tanh32(pre[r])
    for r in range(rows - n):
        out[n + r] = (np.float32(1.0) - out[r] * out[r]) * pre[n + r]


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")
def _input_column(w, inputs, act, n, k):
    """Feature k of `_input_layer_*` for two inputs and the bias row (a PINN's (x, t)): the pre-activation
    w[b, j] . inputs summed on the fly, then as `_tanh_column`."""
    b, j, out = _feature(act, n, k)
    if j == w.shape[1]:
        return
    w0, w1, w2 = w[b, j, 0], w[b, j, 1], w[b, j, 2]
    x0, x1, x2 = inputs[0], inputs[1], inputs[2]
    for r in range(n):
        out[r] = _tanh32(w0 * x0[r] + w1 * x1[r] + w2 * x2[r])
    for r in range(inputs.shape[1] - n):
        out[n + r] = (np.float32(1.0) - out[r] * out[r]) * (w0 * x0[n + r] + w1 * x1[n + r] + w2 * x2[n + r])


@numba.njit(parallel=True, fastmath={"contract"}, error_model="numpy", cache=True)
def _tanh_layer_parallel(g, act, n):
    """From pre-activations g [B, W, rows] to act [B, W + 1, rows]: tanh on the n value columns, (1 - y^2) g
    on the tangent columns (y of the first value columns), and the bias row (1 on values, 0 on tangents)."""
    for k in numba.prange(g.shape[0] * (g.shape[1] + 1)):
        _tanh_column(g, act, n, k)


@numba.njit(fastmath={"contract"}, error_model="numpy", cache=True)
def _tanh_layer_serial(g, act, n):
    """`_tanh_layer_parallel` on the calling thread."""
    for k in range(g.shape[0] * (g.shape[1] + 1)):
        _tanh_column(g, act, n, k)


@numba.njit(parallel=True, fastmath={"contract"}, error_model="numpy", cache=True)
def _input_layer_parallel(w, inputs, act, n):
    """The first hidden layer from weights w [B, W, 3] (bias last) and inputs [3, rows] to act [B, W + 1,
    rows], as `_tanh_layer_parallel` does from a bmm's pre-activations."""
    for k in numba.prange(w.shape[0] * (w.shape[1] + 1)):
        _input_column(w, inputs, act, n, k)


@numba.njit(fastmath={"contract"}, error_model="numpy", cache=True)
def _input_layer_serial(w, inputs, act, n):
    """`_input_layer_parallel` on the calling thread."""
    for k in range(w.shape[0] * (w.shape[1] + 1)):
        _input_column(w, inputs, act, n, k)


def _run_layer(serial: Callable, parallel: Callable, *args: Any) -> None:
    """A numba layer pass on torch's thread count: serial for one thread (a one-thread job starts no numba
    pool, whose idle threads would compete with the run's other jobs for the cores), the pool for more."""
    threads = torch.get_num_threads()
    if threads == 1:
        serial(*args)
        return
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    parallel(*args)


def _tanh_layer(g: np.ndarray, act: np.ndarray, n: int) -> None:
    """The tanh pass from a bmm's pre-activations g to act, on torch's thread count."""
    _run_layer(_tanh_layer_serial, _tanh_layer_parallel, g, act, n)


def _input_layer(w: np.ndarray, inputs: np.ndarray, act: np.ndarray, n: int) -> None:
    """The first hidden layer from its weights and the inputs to act, on torch's thread count."""
    _run_layer(_input_layer_serial, _input_layer_parallel, w, inputs, act, n)
