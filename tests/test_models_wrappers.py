import torch
from torch import nn

from jettag.models.wrappers import count_parameters, strip_prefixes, unwrap


class Compiled(nn.Module):  # what torch.compile returns: the model under _orig_mod
    def __init__(self, inner):
        super().__init__()
        self._orig_mod = inner


def test_unwrap_nested_wrappers():
    inner = nn.Linear(3, 2)
    assert unwrap(inner) is inner
    assert unwrap(Compiled(nn.DataParallel(Compiled(inner)))) is inner


def test_strip_prefixes_gives_the_plain_names():
    inner = nn.Sequential(nn.Linear(3, 2))
    wrapped = Compiled(nn.DataParallel(inner))
    state = wrapped.state_dict()
    assert set(state) == {"_orig_mod.module.0.weight", "_orig_mod.module.0.bias"}
    plain = strip_prefixes(state)
    assert list(plain) == list(inner.state_dict())
    assert all(torch.equal(plain[k], v) for k, v in inner.state_dict().items())


def test_count_parameters():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    assert count_parameters(Compiled(m)) == 8 + 3
    m[0].weight.requires_grad_(False)
    assert count_parameters(m) == 5
    assert count_parameters(m, trainable_only=False) == 11
