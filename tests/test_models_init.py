import ast
import inspect

import jettag.models
from jettag.models import checkpoints, registry, spec, wrappers


def test_public_names_are_re_exported():
    for name in jettag.models.__all__:
        assert hasattr(jettag.models, name), name
    assert jettag.models.build_model is registry.build_model
    assert jettag.models.load_checkpoint is checkpoints.load_checkpoint
    assert jettag.models.save_checkpoint is checkpoints.save_checkpoint
    assert jettag.models.checkpoint_digest is checkpoints.checkpoint_digest
    assert jettag.models.CHECKPOINT_FORMAT == checkpoints.CHECKPOINT_FORMAT == 1
    assert jettag.models.unwrap is wrappers.unwrap
    assert jettag.models.count_parameters is wrappers.count_parameters
    assert jettag.models.DeepSetsSpec is spec.DeepSetsSpec


def test_package_holds_no_logic():
    tree = ast.parse(inspect.getsource(jettag.models))
    for node in tree.body:
        assert isinstance(node, ast.Import | ast.ImportFrom | ast.Assign | ast.Expr), ast.dump(node)
