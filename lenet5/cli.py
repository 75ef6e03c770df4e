"""The ``lenet5`` command: ``train``, ``evaluate``, ``predict``, ``plot`` and ``download`` over the Python API.

Exit codes: 0 success; 1 training diverged (NaN/inf loss); 2 bad usage or bad input (missing weights or data,
unreadable image, failed download: one line on stderr naming the file, never a traceback); 130 interrupted by Ctrl-C
(after saving a checkpoint when training).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence

# Before numpy loads its BLAS: LeNet-5's matrices are too small to share between BLAS threads, and idle OpenBLAS
# threads spin against the model's own two batch-shard threads (measured: 17x slower on a busy 2-core machine).
# An explicit setting in the environment wins.
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from lenet5.data import DATASET_NAMES, EMNIST_SPLITS  # noqa: E402  (after the BLAS setting above)

logger = logging.getLogger(__name__)

EXIT_DIVERGED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, except empty ones and where the help already tells it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _add_train(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train", help="train a model and save it to --weights-dir", formatter_class=_HelpFormatter
    )
    parser.add_argument(
        "--dataset", choices=DATASET_NAMES, default="emnist-balanced", metavar="NAME", help=", ".join(DATASET_NAMES)
    )
    parser.add_argument(
        "--data-dir", help="directory with the IDX files (default: datasets/emnist or datasets/<dataset>)"
    )
    parser.add_argument(
        "--weights-dir", default="lenet5_weights", help="where lenet5.npz, metadata.json and checkpoint.npz go"
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs in total (with --resume: including those done)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per optimizer step")
    parser.add_argument("--lr", type=float, default=0.001, help="(base) learning rate")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--momentum", type=float, default=0.0, help="SGD momentum")
    parser.add_argument("--nesterov", action="store_true", help="SGD with Nesterov momentum")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty added to the gradient")
    parser.add_argument(
        "--schedule", choices=("constant", "step", "cosine"), default="constant", help="learning-rate schedule"
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights, the validation split and the shuffling")
    parser.add_argument(
        "--variant", choices=("modern", "classic"), default="modern", help="ReLU + max pool, or tanh + average pool"
    )
    parser.add_argument("--c3-table", action="store_true", help="LeCun's sparse C3 connection table")
    parser.add_argument("--val-fraction", type=float, default=0.0, help="hold out this seeded fraction of train")
    parser.add_argument("--limit-train", type=int, metavar="N", help="train on a seeded subset of N images")
    parser.add_argument("--limit-test", type=int, metavar="N", help="evaluate on the first N test images")
    parser.add_argument("--resume", action="store_true", help="continue from --weights-dir/checkpoint.npz")
    parser.add_argument("--no-progress", action="store_true", help="plain lines even on a terminal")
    parser.set_defaults(run=_run_train)


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "evaluate", help="accuracy, per-class accuracy and confusion matrix", formatter_class=_HelpFormatter
    )
    parser.add_argument("--weights-dir", default="lenet5_weights", help="a trained model's directory")
    parser.add_argument("--data-dir", help="default: the training run's")
    parser.add_argument("--split", choices=("test", "train"), default="test")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N images")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=_run_evaluate)


def _add_predict(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("predict", help="classify PNG/JPEG files", formatter_class=_HelpFormatter)
    parser.add_argument("images", nargs="+", metavar="IMG", help="image files of any size, either polarity")
    parser.add_argument("--weights-dir", default="lenet5_weights", help="a trained model's directory")
    parser.add_argument("--top-k", type=int, default=3, help="classes shown per image")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=_run_predict)


def _add_plot(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "plot", help="PNG curves, confusion matrix and sample predictions", formatter_class=_HelpFormatter
    )
    parser.add_argument("--weights-dir", default="lenet5_weights", help="a trained model's directory")
    parser.add_argument("--data-dir", help="default: the training run's")
    parser.add_argument("--out-dir", help="default: --weights-dir")
    parser.add_argument("--prefix", default="", help="prepended to the file names (history.png, ...)")
    parser.add_argument("--limit", type=int, metavar="N", help="confusion matrix over the first N test images only")
    parser.set_defaults(run=_run_plot)


def _add_download(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "download", help="download and extract an EMNIST split", formatter_class=_HelpFormatter
    )
    parser.add_argument("--split", choices=EMNIST_SPLITS, default="balanced", help="EMNIST split")
    parser.add_argument("--data-dir", default="datasets/emnist", help="where the split's files go")
    parser.add_argument("--url", help="archive URL (default: the NIST gzip.zip)")
    verify = parser.add_mutually_exclusive_group()
    verify.add_argument("--md5", help="expected MD5 of the archive (default: the published one)")
    verify.add_argument("--no-verify", action="store_true", help="skip the MD5 check")
    parser.set_defaults(run=_run_download)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lenet5", description="A numpy LeNet-5 for EMNIST, MNIST and Fashion-MNIST.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_evaluate, _add_predict, _add_plot, _add_download):
        add(commands)
    return parser


def _run_train(args: argparse.Namespace) -> int:
    from lenet5.train import TrainConfig, train

    config = TrainConfig(
        dataset=args.dataset,
        data_dir=args.data_dir,
        weights_dir=args.weights_dir,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        momentum=args.momentum,
        nesterov=args.nesterov,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        seed=args.seed,
        variant=args.variant,
        c3_table=args.c3_table,
        val_fraction=args.val_fraction,
        limit_train=args.limit_train,
        limit_test=args.limit_test,
        resume=args.resume,
    )
    with warnings.catch_warnings():
        # A diverging run overflows before its loss turns NaN; train() reports that in one line, numpy need not.
        warnings.filterwarnings("ignore", r"(overflow|invalid value|divide by zero) encountered", RuntimeWarning)
        result = train(config, progress_bar=False if args.no_progress else None)
    print(f"test accuracy {result.test_acc:.2%}; saved {result.weights_path} and {result.metadata_path}")
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    from lenet5.checkpoint import load_trained_model
    from lenet5.data import load_dataset
    from lenet5.evaluate import evaluate

    model, metadata = load_trained_model(args.weights_dir)
    data_dir = args.data_dir if args.data_dir is not None else metadata["config"]["data_dir"]
    scores = evaluate(model, load_dataset(metadata["dataset"], data_dir, args.split), limit=args.limit)
    if args.json:
        print(json.dumps({"weights_dir": args.weights_dir, **scores.to_json()}, indent=2))
    else:
        print(scores.format_text())
    return 0


def _run_predict(args: argparse.Namespace) -> int:
    from lenet5.checkpoint import load_trained_model
    from lenet5.predict import predict_files

    if args.top_k < 1:
        raise ValueError(f"--top-k must be at least 1, got {args.top_k}")
    model, metadata = load_trained_model(args.weights_dir)
    predictions = predict_files(model, args.images, metadata["dataset"], metadata["class_names"], args.top_k)
    if args.json:
        print(json.dumps([p.to_json() for p in predictions], indent=2))
    else:
        for prediction in predictions:
            print(prediction.format_text())
    return 0


def _run_plot(args: argparse.Namespace) -> int:
    from lenet5.plots import plot_run

    for path in plot_run(args.weights_dir, args.data_dir, args.out_dir, args.prefix, args.limit):
        print(f"wrote {path}")
    return 0


def _run_download(args: argparse.Namespace) -> int:
    from lenet5.download import DEFAULT_MD5, DEFAULT_URL, download_emnist

    md5 = None if args.no_verify else (args.md5 or DEFAULT_MD5)
    paths = download_emnist(
        args.split, args.data_dir, url=args.url or DEFAULT_URL, md5=md5, progress=sys.stderr.isatty()
    )
    for path in paths:
        print(f"extracted {path}")
    return 0


def _bad_input_errors() -> tuple[type[BaseException], ...]:
    """The one-line-message exceptions of the lenet5 modules, imported lazily (a broken module is reported)."""
    errors: list[type[BaseException]] = [ValueError, OSError]
    for module, name in (
        ("lenet5.data", "DatasetError"),
        ("lenet5.checkpoint", "CheckpointError"),
        ("lenet5.predict", "ImageError"),
        ("lenet5.download", "DownloadError"),
    ):
        try:
            errors.insert(0, getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            logger.debug("cannot import %s.%s", module, name)
    return tuple(errors)


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {exc.strerror or text}"
    return " ".join(text.split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2, message already printed by argparse)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="lenet5: %(message)s")
    run: Callable[[argparse.Namespace], int] = args.run
    prog = f"lenet5 {args.command}"
    try:
        from lenet5.train import TrainingDiverged, TrainingInterrupted
    except ImportError as exc:  # a module of the package is missing: report it without a traceback
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return run(args)
    except TrainingDiverged as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_DIVERGED
    except TrainingInterrupted as exc:
        print(f"{prog}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _bad_input_errors() as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
