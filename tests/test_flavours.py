from jettag import flavours


def test_classes_follow_truth_label_convention():
    assert [f.label for f in flavours.CLASSES] == [5, 4, 0]
    assert [f.prob for f in flavours.CLASSES] == ["p_b", "p_c", "p_u"]
    assert flavours.CLASS_INDEX == {5: 0, 4: 1, 0: 2}
    assert flavours.flavour_by_label(15).name == "tau"


def test_track_origins_are_indexed_consecutively():
    assert [o.index for o in flavours.TRACK_ORIGINS] == list(range(len(flavours.TRACK_ORIGINS)))
    # the FTAG truth-origin classes, in the order of atlas-ftag-tools
    assert [o.name for o in flavours.TRACK_ORIGINS] == [
        "pileup",
        "fake",
        "primary",
        "fromB",
        "fromBC",
        "fromC",
        "fromTau",
        "otherSecondary",
    ]
