import pytest

from jettag import features
from jettag.errors import JettagError


def test_default_groups_expand_in_order():
    names = features.resolve_track_features(features.DEFAULT_TRACK_INPUTS)
    assert names[:4] == ("sd0", "sz0", "log_pt_frac", "log_dr")
    assert names[4:] == features.HIT_FIELDS


def test_drop_group_and_single_feature():
    names = features.resolve_track_features(["ip", "kinematics", "hits"], drop=["hits", "sz0"])
    assert names == ("sd0", "log_pt_frac", "log_dr")


def test_unknown_and_empty_are_clear_errors():
    with pytest.raises(JettagError, match="unknown track feature or group 'sdd0'"):
        features.resolve_track_features(["sdd0"])
    with pytest.raises(JettagError, match="no track features left"):
        features.resolve_track_features(["ip"], drop=["ip"])


def test_every_feature_has_group_and_label():
    for f in features.TRACK_FEATURES.values():
        assert f.group and f.text and f.description
        assert f.name in features.TRACK_GROUPS[f.group]
