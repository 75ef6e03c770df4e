"""lenet5.site: the results markers of the documentation site, rendered from run artifacts like the ones
benchmarks/lenet5_accuracy.py, lenet5_speed.py and lenet5_memory.py write."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import markdown
import pytest

from lenet5.site import Results, ResultsError, expand_markers, find_markers, render_marker

REPO = Path(__file__).resolve().parents[2]
SEEDS = {0: [0.8447, 0.8636, 0.9061], 1: [0.8219, 0.8701, 0.8981], 2: [0.8337, 0.8721, 0.8857]}


def history(accuracies: list[float]) -> list[dict[str, Any]]:
    return [{"epoch": epoch, "train_loss": 0.6 / epoch, "train_acc": 0.78 + 0.04 * epoch, "val_acc": None,
             "test_acc": accuracy, "seconds": 3.5, "samples_per_s": 17000.0 + epoch, "lr": 0.001}
            for epoch, accuracy in enumerate(accuracies, start=1)]


def write_runs(directory: Path, dataset: str = "fashion-mnist", plots: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    finals = {seed: accuracies[-1] for seed, accuracies in SEEDS.items()}
    for seed, accuracies in SEEDS.items():
        record = {"dataset": dataset, "seed": seed, "config": {"epochs": 3, "batch_size": 32},
                  "test_acc": accuracies[-1], "history": history(accuracies), "wall_seconds": 38.2 + seed,
                  "train_samples_per_s": 18000.0 - 100 * seed}
        (directory / f"{dataset}-seed{seed}.json").write_text(json.dumps(record))
    summary = {
        "dataset": dataset,
        "configuration": {"epochs": 3, "batch_size": 32, "lr": 0.001, "optimizer": "adam", "schedule": "constant",
                          "variant": "modern", "limit_train": None},
        "seeds": list(SEEDS), "test_acc": {str(s): a for s, a in finals.items()},
        "median_test_acc": statistics.median(finals.values()), "target": 0.9,
        "best_seed": max(finals, key=finals.__getitem__), "train_samples_per_s": 16870.8,
        "eval_images_per_s": 78402.5,
        "emnist_balanced_estimate": {"seconds_per_epoch": 6.9, "minutes_for_10_epochs": 1.154},
        "environment": {"python": "3.11.7", "numpy": "2.4.6", "cpus": 2, "load_average_1min": 2.9},
    }
    (directory / f"{dataset}-summary.json").write_text(json.dumps(summary))
    if plots:
        for kind in ("history", "confusion", "samples"):
            (directory / f"{dataset}-{kind}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return directory


def html_of(text: str) -> str:
    return str(markdown.markdown(text, extensions=["tables"]))


def href(name: str) -> str:
    return f"../assets/lenet5-results/{name}"


def test_summary_states_the_median_against_the_target_and_the_command(tmp_path: Path) -> None:
    results = Results(write_runs(tmp_path / "results"))
    text = render_marker("fashion-mnist summary", results, href)
    median = statistics.median(accuracies[-1] for accuracies in SEEDS.values())
    assert f"median final test accuracy **{100 * median:.2f}%**" in text
    assert "seed 0: 90.61%, seed 1: 89.81%, seed 2: 88.57%" in text
    assert "Target: median ≥ 90.00%, **not met**." in text
    assert "16,871 samples/s" in text and "about 1.2 min" in text
    assert "`python benchmarks/lenet5_accuracy.py --dataset fashion-mnist --seeds 0 1 2`" in text


def test_the_epoch_table_has_one_row_per_epoch_and_the_median_of_each(tmp_path: Path) -> None:
    results = Results(write_runs(tmp_path / "results"))
    table = render_marker("fashion-mnist table", results, href)
    html = html_of(table)
    assert html.count("<tr>") == 1 + 3
    lines = table.splitlines()
    assert lines[0] == ("| Epoch | Seed 0 train loss | Seed 0 test accuracy | Seed 1 train loss | Seed 1 test accuracy"
                        " | Seed 2 train loss | Seed 2 test accuracy | Median test accuracy |")
    for epoch in range(3):
        median = statistics.median(SEEDS[s][epoch] for s in SEEDS)
        assert lines[2 + epoch].startswith(f"| {epoch + 1} | {0.6 / (epoch + 1):.4f} | {100 * SEEDS[0][epoch]:.2f}%")
        assert lines[2 + epoch].endswith(f"| {100 * median:.2f}% |")


def test_the_seed_table_and_the_plots_of_the_best_seed(tmp_path: Path) -> None:
    results = Results(write_runs(tmp_path / "results"))
    seeds = render_marker("fashion-mnist seeds", results, href)
    assert "| 2 | 88.57% | 88.57% (3) | 90.00% | 40.2 s | 17,800 |" in seeds
    assert seeds.endswith("Median final test accuracy over 3 seeds: **89.81%**.")
    plots = render_marker("fashion-mnist plots", results, href)
    assert plots.count("![") == 3
    assert "(../assets/lenet5-results/fashion-mnist-confusion.png)" in plots
    assert "(seed 0, the best of the seeds)" in plots


def test_missing_artifacts_say_not_measured_yet_with_the_command(tmp_path: Path) -> None:
    results = Results(tmp_path / "nothing-here")
    summary = render_marker("emnist-balanced summary", results, href)
    assert summary.startswith("*Not measured yet: no emnist-balanced runs.")
    assert "`python benchmarks/lenet5_accuracy.py --dataset emnist-balanced`" in summary
    assert "`python benchmarks/lenet5_speed.py`" in render_marker("speed", results, href)
    assert "Not measured yet" in render_marker("memory", results, href)
    no_plots = Results(write_runs(tmp_path / "runs", plots=False))
    assert render_marker("fashion-mnist plots", no_plots, href).startswith("*Not measured yet: no plots")


def test_speed_and_memory_figures_with_ratios_and_targets(tmp_path: Path) -> None:
    directory = tmp_path / "results"
    directory.mkdir()
    rates = {"numpy": {"train_samples_per_s": 2600.0, "infer_samples_per_s": 9000.0,
                       "train_samples_per_cpu_s": 1400.0, "infer_samples_per_cpu_s": 4700.0},
             "torch": {"train_samples_per_s": 2000.0, "infer_samples_per_s": 12000.0,
                       "train_samples_per_cpu_s": 1000.0, "infer_samples_per_cpu_s": 6000.0}}
    (directory / "lenet5-speed.json").write_text(json.dumps(
        {"medians": rates, "targets": {"train": [1.0, 1.3], "infer": [0.6, 1.0]}}))
    (directory / "lenet5-memory.json").write_text(json.dumps(
        {"train_images": 112800, "test_images": 18800, "dataset_bytes": 104227200,
         "peak_rss_after_imports": 34328576, "peak_rss_after_load": 141852672,
         "peak_rss_after_training": 188710912, "epoch_seconds": [7.8, 7.9], "limit_bytes": 1.5e9}))
    results = Results(directory)
    speed = render_marker("speed", results, href)
    assert "| lenet5 (numpy) | 2,600 | 9,000 | 1,400 | 4,700 |" in speed
    assert "1.30× (target ≥ 1.0×, goal 1.3×: goal met)" in speed
    assert "0.75× (target ≥ 0.6×, goal 1.0×: target met)" in speed
    memory = render_marker("memory", results, href)
    assert "| after training | 189 MB |" in memory
    assert "112,800 training and 18,800 test images" in memory and "2 epochs" in memory
    assert "target ≤ 1,500 MB: **met**" in memory


def test_bad_artifacts_and_unknown_markers_are_one_line_errors_naming_the_file(tmp_path: Path) -> None:
    directory = write_runs(tmp_path / "results")
    (directory / "fashion-mnist-seed1.json").write_text('{"test_acc": 0.9,')
    with pytest.raises(ResultsError, match=r"^benchmarks/results/fashion-mnist-seed1.json: cannot be read: "):
        render_marker("fashion-mnist table", Results(directory), href)
    (directory / "lenet5-speed.json").write_text('{"rounds": 5}')
    with pytest.raises(ResultsError, match=r"^benchmarks/results/lenet5-speed.json: no 'medians' key$"):
        render_marker("speed", Results(directory), href)
    with pytest.raises(ResultsError, match=r"unknown results marker '<!-- results: fashion-mnist chart -->'"):
        render_marker("fashion-mnist chart", Results(directory), href)


def test_only_markers_that_are_html_blocks_are_replaced(tmp_path: Path) -> None:
    results = Results(write_runs(tmp_path / "results"))
    page = (
        "# Results\n\n<!-- results: fashion-mnist seeds -->\n\nText <!-- results: fashion-mnist table --> inline.\n\n"
        "```markdown\n<!-- results: fashion-mnist table -->\n```\n\n   <!--  results:  fashion-mnist   plots  -->\n\n"
        "<!-- results: fashion-mnist chart -->\n"
    )
    assert [spec for _, _, spec in find_markers(page)] == ["fashion-mnist seeds", "fashion-mnist plots",
                                                           "fashion-mnist chart"]
    expansion = expand_markers(page, results, href)
    assert "| Seed | Final test accuracy |" in expansion.markdown
    assert "Text <!-- results: fashion-mnist table --> inline." in expansion.markdown
    assert "```markdown\n<!-- results: fashion-mnist table -->\n```" in expansion.markdown
    assert expansion.images == ["fashion-mnist-confusion.png", "fashion-mnist-history.png",
                                "fashion-mnist-samples.png"]
    assert len(expansion.problems) == 1 and "fashion-mnist chart" in expansion.problems[0]
    assert "*Results unavailable: unknown results marker" in expansion.markdown


def test_the_committed_results_render_without_problems() -> None:
    results = Results(REPO / "benchmarks" / "results")
    summary = json.loads((REPO / "benchmarks/results/fashion-mnist-summary.json").read_text())
    for view in ("summary", "seeds", "table", "plots"):
        text = render_marker(f"fashion-mnist {view}", results, href)
        assert "Not measured yet" not in text
    seeds = render_marker("fashion-mnist seeds", results, href)
    assert f"**{100 * statistics.median(summary['test_acc'].values()):.2f}%**" in seeds
