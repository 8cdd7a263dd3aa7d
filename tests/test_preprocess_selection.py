import awkward as ak
import numpy as np
import pytest

from jettag.config import resolve
from jettag.features import HIT_FIELDS
from jettag.preprocess import selection

SPEC = resolve({})["preprocess"]

GOOD = {"pt": 1.0, "eta": 0.1, "phi": 0.0, "d0": 0.01, "z0SinTheta": 0.1,
        "numberOfPixelHits": 4, "numberOfSCTHits": 8, "numberOfPixelHoles": 0,
        "numberOfSCTHoles": 0, "numberOfPixelSharedHits": 0, "numberOfSCTSharedHits": 0}


def track(**over):
    t = {h: 0 for h in HIT_FIELDS}
    t.update(GOOD)
    t.update(over)
    return t


def tracks_of(rows):
    return ak.Array({k: np.array([r[k] for r in rows]) for k in rows[0]})


@pytest.mark.parametrize(
    "over, cut",
    [
        ({"pt": 0.5}, "pt"),
        ({"eta": -2.5}, "abs_eta"),
        ({"d0": -3.5}, "abs_d0"),
        ({"z0SinTheta": 5.0}, "abs_z0SinTheta"),
        ({"numberOfPixelHits": 1, "numberOfSCTHits": 6}, "silicon_hits"),
        ({"numberOfPixelHoles": 1, "numberOfSCTHoles": 2}, "silicon_holes"),
        ({"numberOfPixelHoles": 2}, "pixel_holes"),
        ({"numberOfPixelSharedHits": 1, "numberOfSCTSharedHits": 1}, "shared_modules"),
    ],
)
def test_each_track_cut(over, cut):
    rows = [track(), track(**over)]
    mask, flow = selection.track_mask(tracks_of(rows), SPEC["tracks"])
    assert mask.tolist() == [True, False]
    counts = flow.to_dict()
    names = list(counts)
    # everything passes up to the cut, one track fails at the cut
    assert all(counts[n] == 2 for n in names[: names.index(cut)])
    assert all(counts[n] == 1 for n in names[names.index(cut):])


def test_track_cut_edges_pass():
    # exactly at the allowed limits: 8 silicon hits, 2 silicon holes, 1 pixel hole, 1 shared module
    rows = [track(numberOfPixelHits=2, numberOfSCTHits=6, numberOfPixelHoles=1,
                  numberOfSCTHoles=1, numberOfPixelSharedHits=0, numberOfSCTSharedHits=2)]
    mask, _ = selection.track_mask(tracks_of(rows), SPEC["tracks"])
    assert mask.tolist() == [True]


def test_track_mask_jagged_and_flat_agree():
    rows = [track(), track(pt=0.2), track(d0=4.0), track()]
    flat = tracks_of(rows)
    jagged = ak.unflatten(flat, [3, 0, 1])
    m_flat, f1 = selection.track_mask({k: ak.to_numpy(flat[k]) for k in flat.fields}, SPEC["tracks"])
    m_jag, f2 = selection.track_mask(jagged, SPEC["tracks"])
    assert m_jag.tolist() == [[True, False, False], [], [True]]
    assert ak.flatten(m_jag).tolist() == m_flat.tolist()
    assert f1.to_dict() == f2.to_dict()
    assert f1.to_dict()["all"] == 4 and f1.to_dict()["shared_modules"] == 2


def jets_of(pt, eta, label):
    n = len(pt)
    return ak.Array({"pt": np.array(pt, dtype=np.float32), "eta": np.array(eta, dtype=np.float32),
                     "phi": np.zeros(n, np.float32), "label": np.array(label, dtype=np.int32),
                     "eventNumber": np.arange(n, dtype=np.int64),
                     "tracks": ak.unflatten(tracks_of([track()] * n), np.ones(n, dtype=int))})


def test_jet_cuts_and_cutflow():
    jets = jets_of(
        pt=[30, 30, 30, 30, 10, 30, 30, 2e6],
        eta=[0.0, 1.0, -2.0, 0.5, 0.0, 2.6, 0.0, 0.0],
        label=[5, 4, 0, 15, 5, 5, 7, 0],
    )
    mask, flow, n_unknown = selection.jet_mask(jets, SPEC["jets"])
    assert mask.tolist() == [True, True, True, False, False, False, False, False]
    assert n_unknown == 1
    assert flow.to_dict() == {"all": 8, "known_label": 7, "flavour": 6, "pt": 4, "abs_eta": 3}


def test_tau_kept_when_configured():
    spec = dict(SPEC["jets"], flavours=["b", "tau"])
    jets = jets_of(pt=[30, 30, 30], eta=[0, 0, 0], label=[5, 15, 0])
    mask, _, _ = selection.jet_mask(jets, spec)
    assert mask.tolist() == [True, True, False]


def test_select_drops_tracks_and_keeps_empty_jets():
    jets = jets_of(pt=[30, 30], eta=[0, 0], label=[5, 0])
    jets = ak.with_field(jets, ak.Array([[track(), track(pt=0.1)], [track(pt=0.1)]]), "tracks")
    out, jflow, tflow, _ = selection.select(jets, SPEC)
    assert ak.num(out["tracks"]).tolist() == [1, 0]
    assert tflow.to_dict()["pt"] == 1


def test_default_track_cuts_are_the_r22default_preset_of_the_threshold_keys():
    cuts = selection.track_cuts(SPEC["tracks"])
    assert cuts.names == selection.TRACK_CUTS
    assert [str(c) for c in cuts] == [
        "pt > 0.5", "abs_eta < 2.5", "abs_d0 < 3.5", "abs_z0SinTheta < 5.0", "silicon_hits >= 8",
        "silicon_holes <= 2", "pixel_holes <= 1", "shared_modules <= 1",
    ]
    tighter = resolve({"preprocess": {"tracks": {"min_silicon_hits": 10}}})["preprocess"]["tracks"]
    assert str(selection.track_cuts(tighter).cuts[4]) == "silicon_hits >= 10"


def test_configured_track_cuts_and_their_cutflow():
    rows = [track(), track(pt=0.7), track(d0=-0.5), track(eta=2.0)]
    spec = resolve({"preprocess": {"tracks": {"cuts": ["pt > 0.8", "abs_d0 < 0.2"]}}})["preprocess"]
    mask, flow = selection.track_mask(tracks_of(rows), spec["tracks"])
    assert mask.tolist() == [True, False, False, True]
    assert flow.to_dict() == {"all": 4, "pt": 3, "abs_d0": 2}
    # a preset and extra cuts together
    spec = resolve({"preprocess": {"tracks": {"cuts": ["r22default", "abs_eta < 1.5"]}}})["preprocess"]
    mask, flow = selection.track_mask(tracks_of(rows), spec["tracks"])
    assert mask.tolist() == [True, True, True, False]
    assert flow.to_dict() == {"all": 4, **dict.fromkeys(selection.TRACK_CUTS, 4), "abs_eta < 1.5": 3}


def test_bad_track_cut_names_the_config_key():
    from jettag.errors import JettagError

    spec = resolve({"preprocess": {"tracks": {"cuts": ["pt >> 1"]}}})["preprocess"]
    with pytest.raises(JettagError, match=r"preprocess\.tracks\.cuts\[0\]: cannot read the cut 'pt >> 1'"):
        selection.track_cuts(spec["tracks"])
