"""End to end on real data: ``lenet5 train`` on 6,000 Fashion-MNIST images, then evaluate and predict from PNG files.

An untrained LeNet-5 scores about 10% (chance over 10 classes); two epochs on this subset reach about 80%, so the 70%
bar fails for a broken loss, gradient, optimizer, data pipeline or image preparation, yet leaves room for noise.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lenet5.cli import main
from lenet5.data import load_dataset

pytestmark = pytest.mark.slow


def test_fashion_mnist_subset_trains_evaluates_and_predicts(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = tmp_path / "weights"
    code = main([
        "train", "--dataset", "fashion-mnist", "--data-dir", str(fashion_mnist_dir), "--weights-dir", str(weights),
        "--epochs", "2", "--limit-train", "6000", "--limit-test", "2000", "--seed", "0",
    ])  # fmt: skip
    assert code == 0
    history = json.loads((weights / "metadata.json").read_text())["history"]
    assert history[-1]["test_acc"] >= 0.70
    capsys.readouterr()

    assert main(["evaluate", "--weights-dir", str(weights), "--limit", "2000", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["num_samples"] == 2000
    assert report["accuracy"] == pytest.approx(history[-1]["test_acc"])
    assert report["class_names"][9] == "Ankle boot"
    assert sum(v >= 0.5 for v in report["per_class_accuracy"].values()) >= 8  # not one or two classes carrying it

    # Photos of test items: enlarged 6x, printed dark on light. Predicting from the files must recover the labels.
    test_set = load_dataset("fashion-mnist", fashion_mnist_dir, "test")
    picks = np.arange(2000, 2040)  # images the run never evaluated on
    files = []
    for index in picks:
        path = tmp_path / f"item-{index}.png"
        Image.fromarray(255 - test_set.images[index]).resize((168, 168), Image.Resampling.BICUBIC).save(path)
        files.append(str(path))
    assert main(["predict", *files, "--weights-dir", str(weights), "--top-k", "1", "--json"]) == 0
    predicted = [entry["predictions"][0]["class"] for entry in json.loads(capsys.readouterr().out)]
    truth = [test_set.class_names[label] for label in test_set.labels[picks]]
    assert np.mean([p == t for p, t in zip(predicted, truth, strict=True)]) >= 0.6
