"""``npnet.book``: a script written against the book's module layout runs on npnet, unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from npnet import optim
from npnet.book import run_script, smooth_curve
from npnet.layers import BatchNormalization

USER_SCRIPT = """\
import sys, os
sys.path.append(os.pardir)
from common.optimizer import *
from common.multi_layer_net_extend import MultiLayerNetExtend
from common.util import smooth_curve
from dataset.mnist import load_mnist

(x_train, t_train), _ = load_mnist()
params = {"x": -7.0, "y": 2.0}
for _ in range(3):
    Momentum(lr=0.1).update(params, {"x": params["x"] / 10.0, "y": 2.0 * params["y"]})
net = MultiLayerNetExtend(784, [10], 10, use_batchnorm=True)
acc = net.accuracy(x_train[:20], t_train[:20])
mean = np.mean([1.0, 2.0])
print("ran in", os.path.basename(os.getcwd()))
"""


def test_a_book_style_script_runs_on_npnet(tmp_path: Path, capsys: object) -> None:
    (tmp_path / "ch06").mkdir()
    script = tmp_path / "ch06" / "my_script.py"
    script.write_text(USER_SCRIPT)
    before = list(sys.path)
    result = run_script(script)
    assert type(result["params"]["x"]) is float and -7.0 < result["params"]["x"] < 0.0
    assert type(result["net"]).__module__ == "npnet.nets" and 0.0 <= result["acc"] <= 1.0
    assert result["mean"] == 1.5  # `from common.optimizer import *` brings numpy as the book's does
    assert sys.path == before and optim.Optimizer.check_finite is True


def test_nonfinite_opt_in_is_restored_after_the_script(tmp_path: Path) -> None:
    script = tmp_path / "diverge.py"
    script.write_text(
        "from common.optimizer import *\np = {'w': np.zeros(1)}\nSGD().update(p, {'w': np.array([np.nan])})\n"
    )
    result = run_script(script, allow_nonfinite_gradients=True)
    assert np.isnan(result["p"]["w"][0])
    assert optim.Optimizer.check_finite is True


ONE_SAMPLE_SCRIPT = """\
import numpy as np
from common.multi_layer_net_extend import MultiLayerNetExtend
net = MultiLayerNetExtend(6, [4], 3, use_batchnorm=True)
grads = net.gradient(np.ones((1, 6)), np.array([1]))
"""


def test_single_sample_batch_norm_needs_the_opt_in_and_it_is_restored(tmp_path: Path) -> None:
    """The book's batch_norm_gradient_check.py runs batch norm on one sample: refused unless opted in, as torch."""
    script = tmp_path / "one_sample.py"
    script.write_text(ONE_SAMPLE_SCRIPT)
    with pytest.raises(ValueError, match="needs more than 1 sample"):
        run_script(script)
    result = run_script(script, allow_single_sample_batchnorm=True)
    assert np.all(result["grads"]["W1"] == 0.0)  # a batch of one normalizes to beta: W1 has no say
    assert BatchNormalization.allow_single_sample is False


def test_smooth_curve_keeps_length_and_constants() -> None:
    np.testing.assert_allclose(smooth_curve(np.full(30, 2.5)), np.full(30, 2.5), rtol=1e-15)
    ramp = np.arange(40.0)
    smoothed = smooth_curve(ramp)
    assert smoothed.shape == ramp.shape
    np.testing.assert_allclose(smoothed[5:-5], ramp[5:-5], rtol=1e-12)  # a symmetric window keeps a line
