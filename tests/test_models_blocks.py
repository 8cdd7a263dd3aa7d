import pytest
import torch

from jettag.errors import JettagError
from jettag.models.blocks import (
    AttentionPooling,
    DenseBlock,
    InputNorm,
    masked_mean,
    masked_softmax,
    masked_sum,
)

NAMES = ["a", "b", "c", "d"]
NORM = {
    "track": {
        "a": {"mean": 1.0, "std": 2.0},
        "c": {"mean": -1.0, "std": 0.5},
        "d": {"mean": 0.0, "std": 0.0},
    }
}


def test_input_norm_selects_normalises_and_zeroes_padding():
    norm = InputNorm(["c", "a"], NAMES, NORM, "track")
    assert norm.idx.tolist() == [2, 0]
    assert {k for k, _ in norm.named_buffers()} == {"idx", "mean", "std"}
    x = torch.tensor([[[3.0, 9.0, 0.0, 5.0], [float("nan"), 1.0, 1e9, 2.0]]])
    valid = torch.tensor([[True, False]])
    out = norm(x, valid)
    assert out.shape == (1, 2, 2)
    assert out[0, 0].tolist() == pytest.approx([(0.0 + 1.0) / 0.5, (3.0 - 1.0) / 2.0])
    assert out[0, 1].tolist() == [0.0, 0.0]  # NaN / huge garbage in padding gone


def test_input_norm_zero_std_is_one_and_missing_feature_errors():
    norm = InputNorm(["d"], NAMES, NORM, "track")
    assert norm.std.tolist() == [1.0]
    with pytest.raises(JettagError, match="'b'"):
        InputNorm(["b"], NAMES, NORM, "track")
    with pytest.raises(JettagError, match="not in the data"):
        InputNorm(["zz"], NAMES, NORM, "track")


@pytest.mark.parametrize("norm", ["none", "batchnorm", "layernorm"])
def test_dense_block_padding_never_matters_in_training(norm):
    torch.manual_seed(0)
    block = DenseBlock(
        3, [8, 8, 4], activation="silu", norm=norm, residual=True, dropout=0.0
    ).train()
    x = torch.randn(5, 6, 3)
    valid = torch.rand(5, 6) > 0.4
    valid[0, 0] = True
    valid[1, 0] = True
    out1 = block(x, valid)
    x2 = x.clone()
    x2[~valid] = 1e3 * torch.randn(int((~valid).sum()), 3)
    x3 = torch.cat([x2, 50 * torch.randn(5, 3, 3)], dim=1)
    v3 = torch.cat([valid, torch.zeros(5, 3, dtype=torch.bool)], dim=1)
    out3 = block(x3, v3)
    assert torch.allclose(out1, out3[:, :6], atol=1e-5)
    assert (out3[~v3] == 0).all()
    if norm == "batchnorm":  # statistics from valid tracks only: two identical updates from 0
        bn = block.norms[0]
        h = block.linears[0](x[valid]).detach()
        assert torch.allclose(bn.running_mean, 0.19 * h.mean(0), atol=1e-5)
        block.eval()
        assert torch.isfinite(block(x, valid)).all()


def test_dense_block_layers_and_final_linear():
    block = DenseBlock(3, [5, 5, 2], residual=True, final_activation=False)
    assert block.skip == [False, True, False]
    assert block.out_dim == 2
    out = block(torch.randn(7, 3))
    assert out.shape == (7, 2)
    assert (out < 0).any()  # no activation on the last layer
    with pytest.raises(JettagError, match="activation"):
        DenseBlock(3, [4], activation="tanhh")
    with pytest.raises(JettagError, match="norm"):
        DenseBlock(3, [4], norm="groupnorm")


def test_masked_batchnorm_single_valid_track_uses_running_stats():
    block = DenseBlock(2, [4], norm="batchnorm").train()
    x = torch.randn(2, 3, 2)
    valid = torch.zeros(2, 3, dtype=torch.bool)
    assert torch.isfinite(block(x, valid)).all()
    valid[0, 0] = True
    assert torch.isfinite(block(x, valid)).all()


def test_masked_pooling():
    x = torch.tensor([[[1.0], [2.0], [100.0]], [[5.0], [7.0], [9.0]]])
    valid = torch.tensor([[True, True, False], [False, False, False]])
    assert masked_sum(x, valid).tolist() == [[3.0], [0.0]]
    assert masked_mean(x, valid).tolist() == [[1.5], [0.0]]
    w = masked_softmax(torch.tensor([[0.0, 0.0, 50.0], [1.0, 2.0, 3.0]]), valid)
    assert w[0].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert w[1].tolist() == [0.0, 0.0, 0.0]


def test_attention_pooling_empty_and_padding():
    torch.manual_seed(1)
    pool = AttentionPooling(8, heads=2)
    x = torch.randn(3, 4, 8, requires_grad=True)
    valid = torch.tensor([[True, True, False, False], [False] * 4, [True] * 4])
    out = pool(x, valid)
    assert out.shape == (3, 8)
    assert out[1].abs().sum() == 0
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    x2 = x.detach().clone()
    x2[0, 2:] = 1e4
    assert torch.allclose(pool(x2, valid)[0], out[0].detach(), atol=1e-6)
    with pytest.raises(JettagError):
        AttentionPooling(7, heads=2)
