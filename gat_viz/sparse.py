"""SparseFeatures: a bag-of-words feature matrix kept sparse, with cheap dropout and matmul.

Why: Cora's X is 2708×1433 but only 1.3% non-zero. Dropout on the dense matrix samples 3.9M
Bernoulli variables (~55 ms, over half of a plain PyG epoch) and the first layer's dense matmul
does 0.5 GFLOP. Dropping only the ~49k stored values gives the same distribution (a zero
stays zero whether dropped or not), and a CSR matmul touches only those values.

Shapes: N nodes, F features, D = output width of the weight (H·C in layer 1).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from contextvars import ContextVar

import torch
import torch.nn.functional as F
from torch import Tensor

# The CSR layout is stable for what we use (construction, matmul); silence its "beta" notice.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


# The generator dropout draws from; None is torch's global one. A training sets its own, so
# that trainings running at once in different threads stay reproducible (see `train`).
_GENERATOR: ContextVar[torch.Generator | None] = ContextVar("dropout_generator", default=None)


@contextlib.contextmanager
def dropout_generator(generator: torch.Generator) -> Iterator[None]:
    """Dropout masks drawn in this thread (this context) come from `generator`."""
    token = _GENERATOR.set(generator)
    try:
        yield
    finally:
        _GENERATOR.reset(token)


class SparseFeatures:
    """X (N, F) in CSR form plus the structure of Xᵀ, so that backward is a CSR matmul too."""

    def __init__(self, dense: Tensor) -> None:
        if dense.dim() != 2:
            raise ValueError(f"features must be 2-D, got shape {tuple(dense.shape)}")
        self.shape = (int(dense.size(0)), int(dense.size(1)))
        rows, cols = dense.nonzero(as_tuple=True)  # row-major order = CSR value order
        self.values = dense[rows, cols].contiguous()  # (nnz,)
        self.crow = _crow(rows, self.shape[0])
        self.col = cols.contiguous()
        # Xᵀ holds the same values in column-major order: perm maps one order onto the other.
        self.perm_t = torch.argsort(cols * self.shape[0] + rows)
        self.crow_t = _crow(cols[self.perm_t], self.shape[1])
        self.col_t = rows[self.perm_t].contiguous()

    def with_values(self, values: Tensor) -> SparseFeatures:
        """The same sparsity pattern with new values (shares every index tensor)."""
        out = object.__new__(SparseFeatures)
        out.__dict__.update(self.__dict__)
        out.values = values
        return out

    def dropout(self, p: float, training: bool = True) -> SparseFeatures:
        """Inverted dropout on the stored values only: same law as F.dropout on the dense X."""
        if not training or p == 0.0:
            return self
        return self.with_values(self.values * dropout_scale(self.values.numel(), p))

    def linear(self, weight: Tensor) -> Tensor:
        """X Wᵀ for a weight (D, F), as F.linear does: returns (N, D), differentiable in W."""
        return _SparseLinear.apply(self, weight)

    def to_dense(self) -> Tensor:
        return self._csr().to_dense()

    def _csr(self) -> Tensor:
        return torch.sparse_csr_tensor(self.crow, self.col, self.values, self.shape, check_invariants=False)

    def _csr_t(self) -> Tensor:
        values_t = self.values[self.perm_t]
        return torch.sparse_csr_tensor(
            self.crow_t, self.col_t, values_t, self.shape[::-1], check_invariants=False
        )


def keep_mask(n: int, keep: float) -> Tensor:
    """n independent Bernoulli(keep) draws as a bool mask, from 16 random bits each.

    One 64-bit draw of the generator yields four 16-bit uniforms, so this costs a quarter of
    `torch.rand(n) < keep` (which itself is ~3× cheaper than `bernoulli_`). The probability is
    exact up to 2⁻¹⁶ (0.6 becomes 0.599998...), far below anything training can notice.
    """
    if keep >= 1.0:
        return torch.ones(n, dtype=torch.bool)
    # The full signed range: plain random_() leaves the top bit 0, which would bias one chunk.
    words = torch.empty((n + 3) // 4, dtype=torch.int64)
    words.random_(-(2**63), 2**63 - 1, generator=_GENERATOR.get())
    chunks = words.view(torch.int16)[:n]  # (n,), four draws per word, uniform on -2¹⁵..2¹⁵-1
    return chunks < round(keep * 65536) - 32768  # P = keep, compared in int16: no copy


def dropout_scale(n: int, p: float, dtype: torch.dtype = torch.float32) -> Tensor:
    """The factor inverted dropout multiplies by: 1/(1-p) where kept, 0 where dropped. (n,)."""
    keep = 1.0 - p
    return torch.where(keep_mask(n, keep), 1.0 / keep, 0.0).to(dtype)


class _SparseLinear(torch.autograd.Function):
    """X Wᵀ with X sparse, as `embedding_bag`: row i of the output sums rows of Wᵀ (one per
    feature of node i) weighted by X's values, an order of magnitude faster than a CSR matmul
    on CPU. Backward does the same with Xᵀ: ∂L/∂Wᵀ = Xᵀ ∂L/∂(XWᵀ)."""

    @staticmethod
    def forward(ctx, x: SparseFeatures, weight: Tensor) -> Tensor:  # type: ignore[override]
        ctx.x = x
        table = weight.t().contiguous()  # (F, D): one row per feature (contiguous: 25× faster)
        return F.embedding_bag(x.col, table, x.crow[:-1], mode="sum", per_sample_weights=x.values)  # (N, D)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[None, Tensor]:  # type: ignore[override]
        x: SparseFeatures = ctx.x
        values_t = x.values.index_select(0, x.perm_t)  # (nnz,) in Xᵀ's row order
        grad_table = F.embedding_bag(
            x.col_t, grad_out, x.crow_t[:-1], mode="sum", per_sample_weights=values_t
        )  # (F, N) @ (N, D) -> (F, D)
        return None, grad_table.t()  # (D, F)


class HeadBlocks:
    """The attention matrices of all H heads as one CSR matrix of size (N·H, N·H).

    Row i·H + k holds head k of target i, with column j·H + k for every edge j → i. Node-major
    rows match the memory layout of W h viewed as (N·H, C), so the aggregation
    h'_i = Σ_j α_ij W h_j of every head is a single sparse matmul with no transposes, and so is
    its backward. Every per-edge quantity (raw score, e_ij, α_ij) is kept as one flat vector in
    this matrix's value order; `pos` maps (edge, head) to its place in that vector.

    Built from edges sorted by (target, source), as `AttentionGraph` keeps them.
    """

    def __init__(self, src: Tensor, dst: Tensor, num_nodes: int, heads: int) -> None:
        n, e, h = num_nodes, src.numel(), heads
        self.num_nodes, self.heads, self.num_edges = n, h, e
        head = torch.arange(h)  # (H,)
        deg = torch.bincount(dst, minlength=n)  # (N,) incoming edges, self loop included
        first = torch.cat([deg.new_zeros(1), deg.cumsum(0)])  # (N + 1,) CSR pointers by edge
        # Row (i, k) starts after all rows of earlier targets and k rows of target i.
        starts = first[:-1].unsqueeze(1) * h + head * deg.unsqueeze(1)  # (N, H)
        self.crow = torch.cat([starts.reshape(-1), starts.new_tensor([h * e])])  # (N·H + 1,)
        rank = torch.arange(e) - first[dst]  # (E,) position of each edge among its target's
        self.pos = (first[dst] * h + rank).unsqueeze(1) + head * deg[dst].unsqueeze(1)  # (E, H)
        edge_of = torch.empty(h * e, dtype=torch.long)
        edge_of[self.pos.reshape(-1)] = torch.arange(e).repeat_interleave(h)  # (N·H·deg,) = (H·E,)
        head_of = torch.empty(h * e, dtype=torch.long)
        head_of[self.pos.reshape(-1)] = head.repeat(e)  # (H·E,)
        self.col = src[edge_of] * h + head_of  # (H·E,) the row of W h viewed as (N·H, C)
        self.row = dst[edge_of] * h + head_of  # (H·E,) the row (segment) of each value
        # Where each value sits in an edge-major (E, H) array of the same edges, flattened.
        self.edge_major = edge_of * h + head_of  # (H·E,)
        # Where a_src · W h_j and a_dst · W h_i sit in the (N, H, 2) scores, flattened.
        self.src_half, self.dst_half = self.col * 2, self.row * 2 + 1  # (H·E,) each
        # The transpose: the same values read in (column, row) order.
        self.perm_t = torch.argsort(self.col * (n * h) + self.row, stable=True)  # (H·E,)
        counts_t = torch.bincount(self.col, minlength=n * h)  # (N·H,)
        self.crow_t = torch.cat([counts_t.new_zeros(1), counts_t.cumsum(0)])  # (N·H + 1,)
        self.col_t = self.row[self.perm_t]  # (H·E,)
        # MKL's CSR kernels take int32 indices; converting on every call would cost a copy.
        self._crow32, self._col32 = self.crow.int(), self.col.int()
        self._crow_t32, self._col_t32 = self.crow_t.int(), self.col_t.int()
        self._ones = torch.ones(n * h, 1)  # (N·H, 1): a matmul with it sums each row

    def row_sums(self, values: Tensor) -> Tensor:
        """Σ over each row (one target and head) of values (H·E,) -> (N·H,)."""
        return (self.matrix(values) @ self._ones).view(-1)

    def softmax(self, scores: Tensor) -> Tensor:
        """α = softmax of scores (H·E,) over each row, i.e. over each target's incoming edges."""
        return _RowSoftmax.apply(scores, self)

    def matrix(self, values: Tensor, transpose: bool = False) -> Tensor:
        """values (H·E,) in this structure's order -> the CSR matrix (N·H, N·H), or its transpose."""
        size = (self.heads * self.num_nodes,) * 2
        if transpose:
            crow, col, values = self._crow_t32, self._col_t32, values.index_select(0, self.perm_t)
        else:
            crow, col = self._crow32, self._col32
        return torch.sparse_csr_tensor(crow, col, values, size, check_invariants=False)


class _RowSoftmax(torch.autograd.Function):
    """Softmax over the rows of the CSR matrix, with a hand-written backward:
    ∂L/∂e_ij = α_ij (∂L/∂α_ij − Σ_l α_il ∂L/∂α_il). The row maximum is subtracted for numerical
    safety only; softmax does not depend on it (as in `torch_geometric.utils.softmax`)."""

    @staticmethod
    def forward(ctx, scores: Tensor, blocks: HeadBlocks) -> Tensor:  # type: ignore[override]
        top = torch.segment_reduce(scores, "max", offsets=blocks.crow)  # (N·H,)
        exp = (scores - top.index_select(0, blocks.row)).exp()  # (H·E,)
        total = blocks.row_sums(exp) + 1e-16  # (N·H,)
        alpha = exp / total.index_select(0, blocks.row)  # (H·E,)
        ctx.blocks = blocks
        ctx.save_for_backward(alpha)
        return alpha

    @staticmethod
    def backward(ctx, grad_alpha: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        (alpha,) = ctx.saved_tensors
        blocks: HeadBlocks = ctx.blocks
        weighted = alpha * grad_alpha  # (H·E,)
        row_total = blocks.row_sums(weighted)  # (N·H,)
        return weighted - alpha * row_total.index_select(0, blocks.row), None


def attention_aggregate(alpha: Tensor, h: Tensor, blocks: HeadBlocks) -> Tensor:
    """out_i = Σ_j α_ij h_j for every head: alpha (H·E,) in `blocks` order, h (N·H, C) -> (N·H, C)."""
    return _AttentionAggregate.apply(alpha, h, blocks)


class _AttentionAggregate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, alpha: Tensor, h: Tensor, blocks: HeadBlocks) -> Tensor:  # type: ignore[override]
        ctx.blocks = blocks
        ctx.save_for_backward(alpha, h)
        return blocks.matrix(alpha) @ h  # (N·H, N·H) @ (N·H, C) -> (N·H, C)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor | None, Tensor | None, None]:  # type: ignore[override]
        alpha, h = ctx.saved_tensors
        blocks: HeadBlocks = ctx.blocks
        grad_alpha = grad_h = None
        if ctx.needs_input_grad[0]:
            # ∂L/∂α_ij = <∂L/∂out_i, h_j>, needed only at the edges: a sampled matmul (SDDMM).
            dots = torch.sparse.sampled_addmm(blocks.matrix(alpha), grad_out, h.t(), beta=0.0)
            grad_alpha = dots.values()  # (H·E,)
        if ctx.needs_input_grad[1]:
            grad_h = blocks.matrix(alpha, transpose=True) @ grad_out  # (N·H, C)
        return grad_alpha, grad_h, None


def _crow(sorted_rows: Tensor, n: int) -> Tensor:
    """CSR row pointers (n + 1,) of row indices given in sorted order."""
    counts = torch.bincount(sorted_rows, minlength=n)
    return torch.cat([counts.new_zeros(1), counts.cumsum(0)])
