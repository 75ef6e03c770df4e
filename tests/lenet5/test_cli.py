"""The ``lenet5`` command end to end through ``main([...])``: train, evaluate, predict, plot, download, and errors."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lenet5.cli import main
from lenet5.model import LeNet5
from tests.lenet5.test_train import synthetic_dataset, write_synthetic_mnist


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data_dir, weights_dir) of a model trained by ``lenet5 train`` on synthetic MNIST-format files."""
    root = tmp_path_factory.mktemp("cli")
    data_dir = write_synthetic_mnist(root / "data")
    code = main([
        "train", "--dataset", "mnist", "--data-dir", str(data_dir), "--weights-dir", str(root / "weights"),
        "--epochs", "3", "--seed", "1", "--val-fraction", "0.1",
    ])  # fmt: skip
    assert code == 0
    return data_dir, root / "weights"


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr must be exactly one line (no traceback); return it."""
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_train_prints_banner_sizes_and_epochs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = write_synthetic_mnist(tmp_path / "data", n_train=320, n_test=100)
    code = main([
        "train", "--dataset", "mnist", "--data-dir", str(data_dir), "--weights-dir", str(tmp_path / "w"),
        "--epochs", "2", "--batch-size", "16", "--lr", "0.002", "--limit-train", "300", "--val-fraction", "0.2",
        "--optimizer", "sgd", "--momentum", "0.9", "--schedule", "step", "--seed", "4",
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "sgd lr 0.002 momentum 0.9, step schedule, batch 16, 15 batches/epoch, 2 epochs, seed 4" in out
    assert "images     train 240, validation 60, test 100 (--limit-train 300)" in out
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 2
    assert all(f in epoch_lines[0] for f in ("train loss", "acc", "val", "test", " s ", "samples/s", "lr 0.002"))
    assert "\r" not in out  # no progress bar when not on a terminal
    metadata = json.loads((tmp_path / "w" / "metadata.json").read_text())
    assert metadata["config"]["optimizer"] == "sgd" and metadata["config"]["schedule"] == "step"
    assert [row["lr"] for row in metadata["history"]] == [0.002, 0.0002]  # "step": x0.1 every max(1, epochs // 3)


def test_evaluate_json_is_consistent(trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, weights_dir = trained
    assert main(["evaluate", "--weights-dir", str(weights_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    metadata = json.loads((weights_dir / "metadata.json").read_text())
    confusion = np.array(report["confusion_matrix"])
    assert report["num_samples"] == 200 and confusion.shape == (10, 10) and confusion.sum() == 200
    assert report["accuracy"] == pytest.approx(np.trace(confusion) / 200)
    assert report["accuracy"] == pytest.approx(metadata["history"][-1]["test_acc"])  # what training measured
    assert report["accuracy"] >= 0.8  # chance: 0.1
    for index, name in enumerate(report["class_names"]):
        assert report["per_class_accuracy"][name] == pytest.approx(confusion[index, index] / confusion[index].sum())

    assert main(["evaluate", "--weights-dir", str(weights_dir), "--limit", "50", "--split", "train"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("mnist train: accuracy ") and "on 50 images" in text and "per class:" in text


def test_predict_images_of_any_size_and_polarity(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, weights_dir = trained
    image = synthetic_dataset(1, "test", seed=7).images[0]
    Image.fromarray(image).resize((90, 90), Image.Resampling.BILINEAR).save(tmp_path / "light.png")
    Image.fromarray(255 - image).resize((90, 90), Image.Resampling.BILINEAR).save(tmp_path / "dark.png")
    Image.fromarray(255 - image).resize((41, 63)).convert("RGB").save(tmp_path / "odd-size.jpg", quality=95)

    files = [str(tmp_path / name) for name in ("light.png", "dark.png", "odd-size.jpg")]
    assert main(["predict", *files, "--weights-dir", str(weights_dir), "--top-k", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [entry["file"] for entry in report] == files
    for entry in report:
        probabilities = [p["probability"] for p in entry["predictions"]]
        assert len(probabilities) == 4 and probabilities == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1.0001
        assert {p["class"] for p in entry["predictions"]} <= set("0123456789")
    # Both polarities prepare to the same 28x28 image, hence the same prediction.
    light, dark = report[0]["predictions"], report[1]["predictions"]
    assert [p["class"] for p in light] == [p["class"] for p in dark]
    assert [p["probability"] for p in light] == pytest.approx([p["probability"] for p in dark], abs=0.02)

    assert main(["predict", files[1], "--weights-dir", str(weights_dir), "--top-k", "2"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{files[1]}: ") and line.count("%") == 2


def test_plot_writes_pngs(trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, weights_dir = trained
    assert main(["plot", "--weights-dir", str(weights_dir), "--out-dir", str(tmp_path), "--prefix", "run-"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["run-confusion.png", "run-history.png", "run-samples.png"]
    for name in written:
        with Image.open(tmp_path / name) as png:
            png.verify()
            assert png.format == "PNG" and png.width >= 400 and png.height >= 300
    assert capsys.readouterr().out.count("wrote ") == 3


def test_ctrl_c_saves_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = write_synthetic_mnist(tmp_path / "data", n_train=320, n_test=50)
    real_forward, calls = LeNet5.forward, {"n": 0}

    def forward(self: LeNet5, x: np.ndarray, train: bool = True) -> np.ndarray:
        calls["n"] += train
        if calls["n"] == 13:
            raise KeyboardInterrupt
        return real_forward(self, x, train)

    monkeypatch.setattr(LeNet5, "forward", forward)
    args = [
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        str(data_dir),
        "--weights-dir",
        str(tmp_path / "w"),
        "--epochs",
        "2",
    ]
    assert main(args) == 130
    line = _error_line(capsys)
    assert line.startswith("lenet5 train: interrupted at epoch 2, batch 2/10; checkpoint saved to ")
    monkeypatch.undo()
    assert main([*args, "--resume"]) == 0
    assert "resuming   at epoch 2, batch 2" in capsys.readouterr().out


def test_diverging_training_exits_1_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = write_synthetic_mnist(tmp_path / "data", n_train=64, n_test=20)
    code = main([
        "train", "--dataset", "mnist", "--data-dir", str(data_dir), "--weights-dir", str(tmp_path / "w"),
        "--optimizer", "sgd", "--lr", "1e30",
    ])  # fmt: skip
    assert code == 1
    assert "loss became nan" in _error_line(capsys) or "loss became inf" in capsys.readouterr().err
    assert not (tmp_path / "w" / "lenet5.npz").exists()


def test_bad_inputs_exit_2_with_one_line_naming_the_file(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, weights_dir = trained
    missing = tmp_path / "nothing-here"

    assert main(["evaluate", "--weights-dir", str(missing)]) == 2
    assert f"{missing}/metadata.json: no such file" in _error_line(capsys)

    assert main(["train", "--dataset", "mnist", "--data-dir", str(missing), "--weights-dir", str(tmp_path / "w")]) == 2
    line = _error_line(capsys)
    assert "mnist train data not found" in line and "train-images-idx3-ubyte" in line and str(missing) in line

    assert main(["evaluate", "--weights-dir", str(weights_dir), "--data-dir", str(missing)]) == 2
    assert str(missing) in _error_line(capsys)

    assert (
        main(["plot", "--weights-dir", str(weights_dir), "--data-dir", str(missing), "--out-dir", str(tmp_path)]) == 2
    )
    assert str(missing) in _error_line(capsys)

    (tmp_path / "notes.png").write_text("not an image")
    assert main(["predict", str(tmp_path / "notes.png"), "--weights-dir", str(weights_dir)]) == 2
    assert f"{tmp_path / 'notes.png'}: cannot read image" in _error_line(capsys)
    assert main(["predict", str(tmp_path / "absent.png"), "--weights-dir", str(weights_dir)]) == 2
    assert f"{tmp_path / 'absent.png'}: no such file" in _error_line(capsys)

    broken = tmp_path / "broken-weights"
    broken.mkdir()
    (broken / "metadata.json").write_bytes((weights_dir / "metadata.json").read_bytes())
    (broken / "lenet5.npz").write_bytes(b"PK\x03\x04 truncated")
    assert main(["evaluate", "--weights-dir", str(broken)]) == 2
    assert f"{broken / 'lenet5.npz'}" in _error_line(capsys)

    assert (
        main(["train", "--dataset", "mnist", "--data-dir", str(data_dir), "--weights-dir", str(missing), "--resume"])
        == 2
    )
    assert f"{missing / 'checkpoint.npz'}: no checkpoint to resume" in _error_line(capsys)

    assert main(["train", "--epochs", "0", "--dataset", "mnist", "--data-dir", str(data_dir)]) == 2
    assert "--epochs must be at least 1" in _error_line(capsys)

    assert main(["train", "--optimizer", "rmsprop"]) == 2  # argparse's own usage error
    assert "invalid choice: 'rmsprop'" in capsys.readouterr().err

    assert (
        main(
            [
                "download",
                "--split",
                "digits",
                "--data-dir",
                str(tmp_path / "emnist"),
                "--url",
                "http://127.0.0.1:9/gzip.zip",
            ]
        )
        == 2
    )
    assert "127.0.0.1:9" in _error_line(capsys)


@pytest.fixture
def loopback_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(directory, base URL) of a local HTTP server over a temporary directory."""
    root = tmp_path / "www"
    root.mkdir()

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # http.server's naming
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_download_then_train_on_the_split(
    tmp_path: Path, loopback_server: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.lenet5._emnist_fixtures import emnist_split_files, emnist_zip

    root, base_url = loopback_server
    _, files = emnist_split_files("digits", n_train=120, n_test=40)
    (root / "gzip.zip").write_bytes(emnist_zip({"digits": files}))
    data_dir = tmp_path / "emnist"
    args = [
        "download",
        "--split",
        "digits",
        "--data-dir",
        str(data_dir),
        "--url",
        f"{base_url}/gzip.zip",
        "--no-verify",
    ]
    assert main(args) == 0
    assert capsys.readouterr().out.count("extracted ") == 5
    assert (
        main(
            [
                "train",
                "--dataset",
                "emnist-digits",
                "--data-dir",
                str(data_dir),
                "--weights-dir",
                str(tmp_path / "w"),
                "--epochs",
                "1",
            ]
        )
        == 0
    )
    assert "images     train 120, test 40" in capsys.readouterr().out
    assert json.loads((tmp_path / "w" / "metadata.json").read_text())["class_names"] == list("0123456789")


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    help_run = subprocess.run([sys.executable, "-m", "lenet5", "--help"], capture_output=True, text=True, timeout=60)
    assert help_run.returncode == 0
    assert all(command in help_run.stdout for command in ("train", "evaluate", "predict", "plot", "download"))
    bad = subprocess.run(
        [sys.executable, "-m", "lenet5", "predict", "x.png", "--weights-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "metadata.json" in bad.stderr
