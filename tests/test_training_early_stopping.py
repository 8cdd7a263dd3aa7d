from jettag.training.early_stopping import EarlyStopping


def test_early_stopping_on_fabricated_curve():
    es = EarlyStopping(patience=3, min_delta=0.01)
    curve = [1.0, 0.9, 0.895, 0.95, 0.91, 0.92, 0.5]
    for epoch, v in enumerate(curve, 1):
        es.update(epoch, v)
        if es.should_stop:
            break
    assert es.best_epoch == 2 and es.stopped_epoch == 5
    off = EarlyStopping(patience=1, enabled=False)
    off.update(1, 1.0)
    off.update(2, 2.0)
    assert not off.should_stop and off.best_epoch == 1


def test_state_round_trip_and_options():
    es = EarlyStopping.from_options({"enabled": True, "patience": 2, "min_delta": 0.1})
    assert (es.patience, es.min_delta, es.enabled) == (2, 0.1, True)
    assert es.update(1, 1.0) and not es.update(2, 0.95) and not es.update(3, float("nan"))
    assert es.should_stop and es.stopped_epoch == 3
    copy = EarlyStopping()
    copy.load_state_dict(es.state_dict())
    assert copy == es
