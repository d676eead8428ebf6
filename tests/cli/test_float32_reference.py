"""The float32 yardstick of ``npnet train``: npnet in float64 on exactly the float32 run's batches and masks."""

from __future__ import annotations

import argparse

import numpy as np

from npnet.rng import as_generator
from npnet.train import Trainer
from npnet_cli import netspec, train_cmd
from npnet_cli.main import build_parser
from npnet_cli.pairs import Pair, params_gap


def tiny_data(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    x = rng.random((120, 784)).astype(np.float32)
    t = rng.integers(0, 10, 120)
    return x[:100], t[:100], x[100:], t[100:]


def float32_pair(args: argparse.Namespace, data: tuple[np.ndarray, ...]) -> Pair:
    gen = as_generator(args.seed)
    net = netspec.build_network(args, gen)
    trainer = Trainer(net, *data, 2, 20, netspec.build_optimizer(args), None, None, verbose=False, rng=gen)
    return Pair("npnet", trainer, None)


def test_reference_starts_from_the_float32_weights_and_draws_the_same_masks(rng: np.random.Generator) -> None:
    argv = ["train", "--net", "multi-layer-extend", "--hidden", "30,20", "--dropout", "0.5", "--batchnorm"]
    args = build_parser().parse_args([*argv, "--dtype", "float32", "--seed", "3"])
    pair = float32_pair(args, tiny_data(rng))
    reference = train_cmd.float64_reference(args, pair, epochs=2)
    assert reference.network.params["W1"].dtype == np.float64
    assert params_gap(pair.trainer.network.params, reference.network.params) == 0.0
    np.testing.assert_array_equal(reference.schedule, pair.trainer.schedule)
    for _ in range(3):
        pair.step()
        reference.train_step()
        for ours, theirs in zip(pair.trainer.network.dropout_masks(), reference.network.dropout_masks(), strict=True):
            np.testing.assert_array_equal(ours, theirs)
    gap = params_gap(pair.trainer.network.params, reference.network.params)
    assert 0 < gap < 1e-4  # float32 round-off of three steps, not two different trainings
