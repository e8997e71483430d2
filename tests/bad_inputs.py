"""The table of bad inputs: each row a command a user might type (or a fault the machine might
throw at a run) and the one sentence it must end in. `tests/bad_input_runner.py` prepares and
starts a row, `tests/test_bad_inputs.py` runs every row; README.md shows the table, and a test
keeps the two equal:

  python -m tests.bad_inputs    prints the README table

Placeholders: {tmp} a fresh directory of the row's own, {data} a small IDX dataset, {run} a copy
of a finished 1-epoch training run on it (in {tmp}/run), {n} any word (the epoch a signal
happens to land in), {reason} the system's words for a refused write.
"""

from typing import NamedTuple

TRAIN = ("--config=experiments/configs/quick.py:ae", "--config.data.data_dir={data}",
         "--config.train.epochs=1", "--config.train.batch_size=32")

FOLDER = ("--config=experiments/configs/folder.py:native",
          "--config.model.channels=(8,)", "--config.train.epochs=1",
          "--config.train.batch_size=2")


class Row(NamedTuple):
  what: str               # the bad input, in words
  binary: str             # experiments.NAME
  args: tuple             # its flags, with placeholders
  expect: str             # the sentence (the stderr line that starts "FATAL" or "error:")
  setup: str = ""         # a function below that prepares {tmp}
  code: int = 2           # the exit code
  fault: str = ""         # "sigterm", "sigint" (once checkpointed), "sigint_at_start",
                          # "sigterm_at_start", "read_only" (the run's directory), "fsize",
                          # "address_space" (8 GB of virtual memory)


ROWS = [
    # ---------------------------------------------------------------------- train
    Row("learning rate NaN", "train",
        (*TRAIN, "--config.train.learning_rate=nan", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train.learning_rate: must be a finite number, not "
        "nan."),
    Row("learning rate infinite", "train",
        (*TRAIN, "--config.train.learning_rate=inf", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train.learning_rate: must be a finite number, not "
        "inf."),
    Row("a seed beyond 64 bits", "train",
        (*TRAIN, "--config.train.seed=18446744073709551616", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train.seed: must be at most 9223372036854775807, "
        "not 18446744073709551616."),
    Row("a zero-sized code", "train",
        (*TRAIN, "--config.model.latent_dim=0", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.latent_dim: must be at least 1, not 0."),
    Row("NaN regularizer weight", "train",
        ("--config=experiments/configs/quick.py:cae", "--config.data.data_dir={data}",
         "--config.cae.contractive_weight=nan", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.cae.contractive_weight: must be a finite number, "
        "not nan."),
    Row("a divergence factor of 1", "train",
        (*TRAIN, "--config.train.divergence_factor=1", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train.divergence_factor: must be greater than 1, "
        "not 1."),
    Row("a misspelt field", "train",
        (*TRAIN, "--config.train.learnign_rate=0.1", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train.learnign_rate: no such field in the config "
        "(did you mean learning_rate?); check its spelling against the config file."),
    Row("a config file that does not exist", "train",
        ("--config=experiments/configs/nope.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: the config could not be loaded (OSError: [Errno "
        "2] No such file or directory: 'experiments/configs/nope.py'); name a file in "
        "experiments/configs/, such as --config=experiments/configs/ae.py."),
    Row("a batch larger than the data", "train",
        (*TRAIN, "--config.train.batch_size=1024", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train.batch_size: 1024 is more than the 256 "
        "training examples; lower it."),
    Row("no workdir", "train",
        (*TRAIN,),
        "FATAL Flags parsing error: --workdir: is required: name a directory for the outputs."),
    Row("a workdir that is a file", "train",
        (*TRAIN, "--workdir=/etc/hostname"),
        "FATAL Flags parsing error: --workdir: /etc/hostname is a file, not a directory; "
        "choose a directory."),
    Row("an unknown model", "train",
        (*TRAIN, "--config.model.name=gan", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.name: 'gan' does not exist; choose one of "
        "ae, dae, sae, cae, vae, iwae, cvae, aae, aae_cat, m2, m1m2."),
    Row("renaming a model whose preset has other sections", "train",
        (*TRAIN, "--config.model.name=vae", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.name: 'vae' has config sections of its own "
        "(vae); start from its preset, such as --config=experiments/configs/vae.py, rather "
        "than renaming a model."),
    Row("an unknown dataset", "train",
        (*TRAIN, "--config.data.dataset=cifar100", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.data.dataset: 'cifar100' does not exist; choose "
        "one of mnist, fashion_mnist, binarized_mnist, cifar10, svhn_cropped, celeb_a, folder, "
        "npz."),
    Row("an unknown likelihood", "train",
        (*TRAIN, "--config.model.likelihood=poisson", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.likelihood: 'poisson' does not exist; "
        "choose one of bernoulli, gaussian, gaussian_learned, discretized_logistic, "
        "categorical256."),
    Row("a word where a number goes", "train",
        (*TRAIN, "--config.model.latent_dim=two", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.latent_dim: 'two' is not a whole number; "
        "give a whole number."),
    Row("a zero hidden width", "train",
        (*TRAIN, "--config.model.hidden=(64,0)", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.hidden: widths must be positive integers, "
        "as in (512, 256); got (64, 0)."),
    Row("another model's section", "train",
        (*TRAIN, "--config.dae.noise=masking", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.dae.noise: no such field in the config; check its "
        "spelling against the config file."),
    Row("no config", "train",
        ("--workdir={tmp}/w",),
        "FATAL Flags parsing error: --config: is required: name a config file, such as "
        "--config=experiments/configs/ae.py."),
    Row("a preset name that does not exist", "train",
        ("--config=experiments/configs/quick.py:nope", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: the config could not be loaded "
        "(ModuleNotFoundError: No module named 'experiments.configs.nope'); name a file in "
        "experiments/configs/, such as --config=experiments/configs/ae.py, or a preset of "
        "quick.py by model name, such as --config=experiments/configs/quick.py:vae."),
    Row("a likelihood whose NLL overflows (sigma 1e-30)", "train",
        (*TRAIN, "--config.model.likelihood=gaussian", "--config.model.sigma=1e-30",
         "--workdir={tmp}/w"),
        "error: training diverged in epoch 1: the train loss was not finite in 8 of its 8 "
        "steps; no checkpoint was written. The likelihood overflows on the mean image itself (its "
        "NLL is not finite), so the learning rate is not the cause: with "
        "--config.model.likelihood=gaussian, raise --config.model.sigma (now 1e-30) or choose "
        "another likelihood, and train into a new --workdir."),
    Row("a data directory that does not exist", "train",
        (*TRAIN, "--config.data.data_dir={tmp}/nowhere", "--workdir={tmp}/w"),
        "error: data directory {tmp}/nowhere does not exist; fix --config.data.data_dir / "
        "AE_DATA_DIR or unset it to use the default sources."),
    Row("IDX files with zero items", "train",
        (*TRAIN, "--config.data.data_dir={tmp}/empty", "--workdir={tmp}/w"),
        "error: {tmp}/empty/train-images-idx3-ubyte.gz holds no images (its header says 0 "
        "items); delete it and download it again.", setup="empty_idx"),
    Row("a truncated IDX file", "train",
        (*TRAIN, "--config.data.data_dir={tmp}/cut", "--workdir={tmp}/w"),
        "error: {tmp}/cut/train-images-idx3-ubyte is truncated: 256 items need 200704 data "
        "bytes but only 1000 are there; delete it and download it again.", setup="cut_idx"),
    Row("a truncated image in a folder", "train",
        (*FOLDER, "--config.data.data_dir={tmp}/imgs", "--workdir={tmp}/w"),
        "error: {tmp}/imgs/c1/3.png is not a readable image (cannot identify image file "
        "'{tmp}/imgs/c1/3.png'); replace it or delete it.",
        setup="png_truncated"),
    Row("images of mixed sizes without an image size", "train",
        (*FOLDER, "--config.data.data_dir={tmp}/imgs", "--workdir={tmp}/w"),
        "error: {tmp}/imgs/c1/3.png is 8 wide and 12 high but {tmp}/imgs/c0/0.png is 8 wide and "
        "8 high; set "
        "--config.data.image_size to resize them all (such as --config.data.image_size=8).",
        setup="png_mixed_sizes"),
    Row("an empty image folder", "train",
        (*FOLDER, "--config.data.data_dir={tmp}/imgs", "--workdir={tmp}/w"),
        "error: {tmp}/imgs holds no PNG or JPEG files (nor class sub-directories of them); put "
        "the images there or fix --config.data.data_dir.", setup="png_empty"),
    Row("npz labels of the wrong length", "train",
        (*FOLDER, "--config.data.dataset=npz", "--config.data.data_dir={tmp}/d.npz",
         "--workdir={tmp}/w"),
        "error: {tmp}/d.npz's 'labels' has shape (9,) and type int64, but there are 10 images; "
        "it must be 10 integers, one per image.", setup="npz_short_labels"),
    Row("a size the conv network cannot halve", "train",
        ("--config=experiments/configs/conv.py:vae", "--config.data.data_dir={data}",
         "--config.data.max_train_examples=64", "--config.train.batch_size=32",
         "--config.model.channels=(8,16,32)",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.channels: 28x28 images cannot be halved 3 "
        "times (one halving per width of (8, 16, 32)); the sizes that work are multiples of 8, "
        "such as 32x32 (set data.image_size), or use fewer widths."),
    Row("a learning rate of 1000 (finite divergence)", "train",
        (*TRAIN, "--config.train.learning_rate=1000", "--workdir={tmp}/w"),
        "error: training diverged in epoch 1: the train nll reached {n} nats, above the "
        "divergence threshold of 7840 nats (the divergence factor times the larger of the mean "
        "image's NLL and 1 nat per pixel); no checkpoint was written. Lower "
        "--config.train.learning_rate (now 1000) or check the likelihood "
        "(--config.model.likelihood=bernoulli, --config.model.sigma=1), and train into a new "
        "--workdir."),
    Row("resuming with other settings", "train",
        (*TRAIN, "--config.train.learning_rate=0.01", "--workdir={run}"),
        "FATAL Flags parsing error: --workdir: {run} holds a run with different "
        "--config.train.learning_rate; choose a new --workdir or repeat the old settings to "
        "resume it.", setup="run"),
    Row("fewer epochs than the run holds", "train",
        (*TRAIN[:2], "--config.train.epochs=0", "--workdir={run}"),
        "FATAL Flags parsing error: --config.train.epochs: must be at least 1, not 0.", setup="run"),
    Row("the same epochs again (nothing to do; exit 0)", "train",
        (*TRAIN, "--workdir={run}"),
        "nothing to do: {run} already holds all 1 epochs; raise --config.train.epochs above 1 "
        "to train further.", setup="run", code=0),
    Row("a finished run whose metrics.jsonl was deleted, run again (exit 0)", "train",
        (*TRAIN, "--workdir={run}"),
        "nothing to do: {run} already holds all 1 epochs; raise --config.train.epochs above 1 "
        "to train further.", setup="run_without_metrics_jsonl", code=0),
    Row("another architecture after config.json was lost", "train",
        (*TRAIN[:2], "--config.train.epochs=2", "--config.model.hidden=(32,)",
         "--workdir={run}"),
        "error: the checkpoint {run}/checkpoints/1 holds a model of other shapes than the "
        "config describes (params.params.decoder.mlp.dense_0.bias is (64,) in the checkpoint "
        "and (32,) in this model; params.params.decoder.mlp.dense_0.kernel is (32, 64) in the "
        "checkpoint and (32, 32) in this model; params.params.decoder.mlp.dense_1.kernel is "
        "(64, 784) in the checkpoint and (32, 784) in this model; ...); repeat the settings it "
        "was trained with, or train into a new --workdir.", setup="run_without_config"),
    Row("config.json that is not JSON", "train",
        (*TRAIN, "--workdir={run}"),
        "FATAL Flags parsing error: --workdir: {run}/config.json is not a training config this "
        "version can read (Expecting property name enclosed in double quotes: line 1 column 2 "
        "(char 1)); choose a new --workdir.", setup="run_bad_json"),
    Row("a checkpoint whose bytes rotted", "train",
        (*TRAIN[:2], "--config.train.epochs=2", "--workdir={run}"),
        "error: the checkpoint {run}/checkpoints/1 cannot be read (its file "
        "default/ocdbt.process_0/d/{n} changed since it was written (its SHA-256 differs from "
        "the recorded one)); delete that directory to fall back to an earlier checkpoint, or "
        "train into a new --workdir.", setup="run_rotted"),
    Row("a torn last line in metrics.jsonl (repaired; exit 0)", "train",
        (*TRAIN[:2], "--config.train.epochs=2", "--workdir={run}"),
        "note: dropped line 2 of {run}/metrics.jsonl, which is not a whole metrics row (a "
        "crash or a full disk cut it short)", setup="run_torn_metrics", code=0),
    Row("a full disk (files capped at 64 kB)", "train",
        (*TRAIN, "--workdir={tmp}/w"),
        "error: {tmp}/w/checkpoints/1 could not be written (File too large); free space on "
        "that disk or make it writable (or choose another --workdir); no checkpoint was "
        "written yet; the same command starts {tmp}/w afresh.", fault="fsize"),
    Row("SIGTERM (a TPU pod's preemption) mid-run", "train",
        (*TRAIN[:2], "--config.train.epochs=100000", "--workdir={tmp}/w"),
        "error: interrupted by SIGTERM; the last checkpoint is {tmp}/w/checkpoints/{n} (epoch "
        "{n}), and the same command resumes from it.", fault="sigterm"),
    Row("SIGINT (Ctrl-C) mid-run", "train",
        (*TRAIN[:2], "--config.train.epochs=100000", "--workdir={tmp}/w"),
        "error: interrupted by SIGINT; the last checkpoint is {tmp}/w/checkpoints/{n} (epoch "
        "{n}), and the same command resumes from it.", fault="sigint"),
    Row("a checkpoint cut short (resume)", "train",
        (*TRAIN[:2], "--config.train.epochs=2", "--workdir={run}"),
        "error: the checkpoint {run}/checkpoints/1 cannot be read (its file default/_METADATA "
        "changed since it was written (its SHA-256 differs from the recorded one)); delete "
        "that directory to fall back to an earlier checkpoint, or train into a new --workdir.", setup="run_truncated"),
    # ---------------------------------------------------------------------- evaluate
    Row("a workdir that does not exist", "evaluate",
        ("--workdir={tmp}/nowhere",),
        "FATAL Flags parsing error: --workdir: {tmp}/nowhere is not a directory; name the "
        "workdir of a training run."),
    Row("a workdir without a run", "evaluate",
        ("--workdir={tmp}",),
        "error: {tmp}/config.json does not exist; train first with python -m experiments.train "
        "--workdir={tmp}."),
    Row("a run that diverged", "evaluate",
        ("--workdir={run}",),
        "error: training diverged in epoch 1: the train nll reached {n} nats, above the "
        "divergence threshold of 7840 nats (the divergence factor times the larger of the mean "
        "image's NLL and 1 nat per pixel); its results are not evaluated; retrain it into a "
        "new --workdir with a lower --config.train.learning_rate.", setup="run_diverged"),
    Row("more neighbours than training images", "evaluate",
        ("--workdir={run}", "--k=1,1000"),
        "FATAL Flags parsing error: --k: 1000 is more than the 256 training images the "
        "neighbours are drawn from; lower it.", setup="run"),
    Row("a neighbour count of zero", "evaluate",
        ("--workdir={run}", "--k=0"),
        "FATAL Flags parsing error: --k: must be positive integers, not ['0']."),
    Row("a read-only run", "evaluate",
        ("--workdir={run}",),
        "FATAL Flags parsing error: --workdir: {run} cannot be written ({reason}); choose a "
        "directory you can write to.", setup="run", fault="read_only"),
    Row("data other than the run was trained on", "evaluate",
        ("--workdir={run}",),
        "error: the data loaded from {tmp}/data/fashion_mnist (fingerprint {n}) is not the "
        "data {run} was trained on ({data}/fashion_mnist, fingerprint {n}); restore its data "
        "(data.data_dir in config.json), or pass --allow_other_data to evaluate on this data "
        "anyway.", setup="run_other_data"),
    Row("an importance-sample count of zero", "evaluate",
        ("--workdir={run}", "--num_importance_samples=0"),
        "FATAL Flags parsing error: --num_importance_samples: must be positive integers, not "
        "['0'].", setup="run_vae"),
    Row("a checkpoint cut short", "evaluate",
        ("--workdir={run}",),
        "error: the checkpoint {run}/checkpoints/1 cannot be read (its file default/_METADATA "
        "changed since it was written (its SHA-256 differs from the recorded one)); delete "
        "that directory to fall back to an earlier checkpoint, or train into a new --workdir.", setup="run_truncated"),
    # ---------------------------------------------------------------------- adversarial, M2
    Row("a 3-D code with the 2-D mixture prior", "train",
        ("--config=experiments/configs/aae_mixture.py", "--config.data.data_dir={data}",
         "--config.model.latent_dim=3", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.latent_dim: the mixture prior is 2-D; set it "
        "to 2, not 3."),
    Row("labels that do not split over 10 classes", "train",
        ("--config=experiments/configs/semisupervised.py", "--config.data.data_dir={data}",
         "--config.data.num_labels=15", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.data.num_labels: 15 labels are drawn evenly from "
        "10 classes; use a multiple of 10."),
    Row("more labels than a class has images", "train",
        ("--config=experiments/configs/semisupervised.py", "--config.data.data_dir={data}",
         "--config.data.num_labels=1000", "--config.model.hidden=(8,)",
         "--config.train.batch_size=32", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.data.num_labels: the training split has {n} images "
        "of class 0, fewer than the 100 labelled ones asked for; lower it."),
    Row("the same label draw twice", "semisupervised",
        ("--workdir={tmp}/w", "--label_seeds=0,0"),
        "FATAL Flags parsing error: --label_seeds: '0,0' must be distinct integers from 0 to "
        "2^32 - 1, as in --label_seeds=0,1,2."),
    Row("a config without labels", "semisupervised",
        ("--workdir={tmp}/w", "--config=experiments/configs/vae.py"),
        "FATAL Flags parsing error: --config: must be a semi-supervised config (m2 or aae_cat "
        "with data.num_labels > 0), such as experiments/configs/semisupervised.py."),
    Row("a run with a 32-D code", "compare_codes",
        ("--workdirs={run}", "--out={tmp}/codes.png"),
        "FATAL Flags parsing error: --workdirs: {run} holds a model with a 32-D code; every run "
        "must have a 2-D code (--config.model.latent_dim=2).", setup="run"),
    # ---------------------------------------------------------------------- report
    Row("a root that does not exist", "report",
        ("--root={tmp}/nowhere",),
        "FATAL Flags parsing error: --root: {tmp}/nowhere is not a directory."),
    Row("a run that diverged under the root (marked; exit 0)", "report",
        ("--root={tmp}",),
        "| b_diverged (DIVERGED in epoch 1) | ae | 32 | - | - | - | - | - | - | - | - | - | - "
        "| - |", setup="root_with_diverged_run", code=0),
    Row("one malformed run under the root (left out; exit 0)", "report",
        ("--root={tmp}",),
        "note: left out {tmp}/broken: {tmp}/broken/metrics.json cannot be read (Expecting "
        "value: line 1 column 1 (char 0)).", setup="root_with_broken_run", code=0),
    # ---------------------------------------------------------------------- descent
    Row("an infinite step size", "descent",
        ("--workdir={tmp}", "--data_dir={data}", "--lr=inf"),
        "FATAL Flags parsing error: flag --lr=inf: --lr must be a finite number, positive."),
    # ---------------------------------------------------------------------- gradient_check
    Row("an infinite tolerance (always passes)", "gradient_check",
        ("--workdir={tmp}", "--data_dir={data}", "--tolerance=inf"),
        "FATAL Flags parsing error: flag --tolerance=inf: --tolerance must be a finite number, "
        "positive."),
    # ---------------------------------------------------------------------- descent
    Row("more rows than the data", "descent",
        ("--workdir={tmp}", "--data_dir={data}", "--rows=20000"),
        "FATAL Flags parsing error: --rows: 20000 is more than the 128 test images of "
        "fashion_mnist in {data}/fashion_mnist; lower it."),
    # ---------------------------------------------------------------------- likelihood_view
    Row("a sigma floor that is NaN", "likelihood_view",
        ("--workdir={tmp}", "--data_dir={data}", "--sigma_min=nan"),
        "FATAL Flags parsing error: flag --sigma_min=nan: --sigma_min must lie strictly "
        "between 0 and 1 (pixels are in [0, 1])."),
    # ---------------------------------------------------------------------- loss_comparison
    Row("a cross-entropy target outside [0, 1]", "loss_comparison",
        ("--workdir={tmp}", "--target=2"),
        "FATAL Flags parsing error: flag --target=2.0: --target must lie between 0 and 1."),
    # ---------------------------------------------------------------------- taylor_check
    Row("a width beyond memory", "taylor_check",
        ("--workdir={tmp}", "--data_dir={data}", "--width=100000000"),
        "FATAL Flags parsing error: flag --width=100000000: --width must be a finite number, "
        "positive and at most 8192."),
    # ---------------------------------------------------------------------- vanishing_gradient
    Row("a depth of zero", "vanishing_gradient",
        ("--workdir={tmp}", "--data_dir={data}", "--depth=0"),
        "FATAL Flags parsing error: flag --depth=0: --depth must be a finite number, positive "
        "and at most 256."),
    Row("a network so deep that its gradients underflow to 0", "vanishing_gradient",
        ("--workdir={tmp}", "--data_dir={data}", "--width=1", "--depth=256", "--rows=2"),
        "error: the result sigmoid_ratio.normal.0 is nan, not a finite number, so nothing was "
        "written; a setting drove the computation out of float32's range (an overflow or an "
        "underflow): bring the settings back toward their defaults."),
    Row("a seed beyond 32 bits", "vanishing_gradient",
        ("--workdir={tmp}", "--data_dir={data}", "--seed=18446744073709551616"),
        "FATAL Flags parsing error: --seed: 18446744073709551616 is out of range; give a value "
        "from 0 to 4294967295."),
    # ---------------------------------------------------------------------- loss_comparison
    Row("a negative step size", "loss_comparison",
        ("--workdir={tmp}", "--lr=-1"),
        "FATAL Flags parsing error: flag --lr=-1.0: --lr must be a finite number, positive."),
    Row("an unknown loss", "loss_comparison",
        ("--workdir={tmp}", "--losses=mse,hinge"),
        "FATAL Flags parsing error: --losses: unknown loss hinge; use mse, ce or mse,ce."),
    # ---------------------------------------------------------------------- taylor_check
    Row("an unknown activation", "taylor_check",
        ("--workdir={tmp}", "--activation=swish"),
        "FATAL Flags parsing error: flag --activation=swish: value should be one of "
        "<sigmoid|tanh|relu|elu|identity|softplus>"),
    # ---------------------------------------------------------------------- gradient_check
    Row("an unknown dataset", "gradient_check",
        ("--workdir={tmp}", "--dataset=cifar10"),
        "FATAL Flags parsing error: flag --dataset=cifar10: value should be one of "
        "<mnist|fashion_mnist>"),
    # ---------------------------------------------------------------------- descent
    Row("a flag that does not exist", "descent",
        ("--workdir={tmp}", "--no_such_flag=1"),
        "FATAL Flags parsing error: Unknown command line flag 'no_such_flag'"),
    # ---------------------------------------------------------------------- loss_comparison
    Row("no workdir", "loss_comparison",
        (),
        "FATAL Flags parsing error: --workdir: is required: name a directory for the outputs."),
    Row("a workdir under a file", "loss_comparison",
        ("--workdir=/etc/hostname/sub",),
        "FATAL Flags parsing error: --workdir: /etc/hostname/sub cannot be written (Not a "
        "directory); choose a directory you can write to."),
    # ---------------------------------------------------------------------- descent
    Row("a data directory without the test split", "descent",
        ("--workdir={tmp}/w", "--data_dir={tmp}"),
        "error: {tmp}/t10k-images-idx3-ubyte[.gz] is missing, so the test split cannot be "
        "loaded from {tmp}; put the file there or point --data_dir / AE_DATA_DIR at a "
        "directory that has it."),
    # ---------------------------------------------------------------------- demo
    Row("an unknown demo step", "demo",
        ("--workdir={tmp}", "--only=bogus"),
        "FATAL Flags parsing error: --only: unknown step bogus; choose from loss_comparison, "
        "gradient_check, taylor_check, vanishing_gradient, likelihood_view, descent, "
        "train_ae_latent2, evaluate_ae_latent2, train_vae_latent2, evaluate_vae_latent2, "
        "train_aae_mixture, evaluate_aae_mixture, resume_check."),
    # ---------------------------------------------------------------------- resume_check
    Row("train_args that do not parse", "resume_check",
        ("--workdir={tmp}", "--train_args=--config='unbalanced"),
        "FATAL Flags parsing error: --train_args: does not split into flags (No closing "
        "quotation); close every quote."),
    # ---------------------------------------------------------------------- benchmark
    Row("a reference interpreter that does not exist", "benchmark",
        ("--reference_python=/nonexistent/python", "--data_dir={data}"),
        "FATAL Flags parsing error: --reference_python: /nonexistent/python is not an "
        "executable program; name a Python that has torch installed."),

    # ======================================= reliability round 3 (a held-out probe's kinds)
    # ---------------------------------------------------------------------- one writer a workdir
    Row("a run that another live train holds", "train",
        (*TRAIN, "--workdir={run}"),
        "FATAL Flags parsing error: --workdir: {run} is in use by process {n} (python -m "
        "experiments.train); wait for it to end or stop it (kill {n}), or choose another "
        "--workdir.", setup="run_held"),
    Row("a run still being trained", "evaluate",
        ("--workdir={run}",),
        "FATAL Flags parsing error: --workdir: {run} is in use by process {n} (python -m "
        "experiments.train); wait for it to end or stop it (kill {n}), or choose another "
        "--workdir.", setup="run_held"),
    Row("a workdir another binary is writing", "descent",
        ("--workdir={tmp}/w", "--data_dir={data}"),
        "FATAL Flags parsing error: --workdir: {tmp}/w is in use by process {n} (python -m "
        "experiments.descent); wait for it to end or stop it (kill {n}), or choose another "
        "--workdir.", setup="workdir_held"),
    Row("a workdir another process is writing", "resume_check",
        ("--workdir={tmp}/w",),
        "FATAL Flags parsing error: --workdir: {tmp}/w is in use by process {n} (python -m "
        "experiments.descent); wait for it to end or stop it (kill {n}), or choose another "
        "--workdir.", setup="workdir_held"),
    Row("a workdir another process is writing", "vanishing_gradient",
        ("--workdir={tmp}/w", "--data_dir={data}"),
        "FATAL Flags parsing error: --workdir: {tmp}/w is in use by process {n} (python -m "
        "experiments.descent); wait for it to end or stop it (kill {n}), or choose another "
        "--workdir.", setup="workdir_held"),
    Row("a training run's workdir", "descent",
        ("--workdir={run}", "--data_dir={data}"),
        "FATAL Flags parsing error: --workdir: {run} holds the outputs of python -m "
        "experiments.train, which experiments.descent would overwrite; choose another "
        "--workdir.", setup="run"),
    Row("a training run's workdir", "vanishing_gradient",
        ("--workdir={run}", "--data_dir={data}"),
        "FATAL Flags parsing error: --workdir: {run} holds the outputs of python -m "
        "experiments.train, which experiments.vanishing_gradient would overwrite; choose "
        "another --workdir.", setup="run"),
    Row("a training run's workdir", "loss_comparison",
        ("--workdir={run}",),
        "FATAL Flags parsing error: --workdir: {run} holds the outputs of python -m "
        "experiments.train, which experiments.loss_comparison would overwrite; choose "
        "another --workdir.", setup="run"),
    Row("a training run's workdir", "semisupervised",
        ("--workdir={run}", "--config.data.data_dir={data}"),
        "FATAL Flags parsing error: --workdir: {run} holds the outputs of python -m "
        "experiments.train, which experiments.semisupervised would overwrite; choose another "
        "--workdir.", setup="run"),
    Row("a training run's workdir", "resume_check",
        ("--workdir={run}",),
        "FATAL Flags parsing error: --workdir: {run} holds the outputs of python -m "
        "experiments.train, which experiments.resume_check would overwrite; choose another "
        "--workdir.", setup="run"),
    Row("a workdir that descent wrote", "train",
        (*TRAIN, "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --workdir: {tmp}/w holds the outputs of python -m "
        "experiments.descent, which experiments.train would overwrite; choose another "
        "--workdir.", setup="descent_workdir"),
    Row("a workdir that descent wrote", "evaluate",
        ("--workdir={tmp}/w",),
        "FATAL Flags parsing error: --workdir: {tmp}/w holds the outputs of python -m "
        "experiments.descent, not a training run; name the workdir of python -m "
        "experiments.train.", setup="descent_workdir"),
    # ---------------------------------------------------------------------- distributed start-up
    Row("a coordinator port beyond 65535", "train",
        (*TRAIN, "--num_processes=2", "--process_id=0", "--coordinator_address=127.0.0.1:99999",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --coordinator_address: port 99999 is outside 1-65535; give "
        "host:port of process 0, as in --coordinator_address=10.0.0.1:1234."),
    Row("a coordinator address without a port", "train",
        (*TRAIN, "--num_processes=2", "--process_id=1", "--coordinator_address=10.0.0.1",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --coordinator_address: '10.0.0.1' is not host:port (as in "
        "10.0.0.1:1234, or [::1]:1234); give host:port of process 0, as in "
        "--coordinator_address=10.0.0.1:1234."),
    Row("a coordinator address without a host", "train",
        (*TRAIN, "--num_processes=2", "--process_id=1", "--coordinator_address=:1234",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --coordinator_address: ':1234' is not host:port (as in "
        "10.0.0.1:1234, or [::1]:1234); give host:port of process 0, as in "
        "--coordinator_address=10.0.0.1:1234."),
    Row("a host name with a space", "train",
        (*TRAIN, "--num_processes=2", "--process_id=1", "--coordinator_address=my host:1234",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --coordinator_address: 'my host:1234' is not host:port (as "
        "in 10.0.0.1:1234, or [::1]:1234); give host:port of process 0, as in "
        "--coordinator_address=10.0.0.1:1234."),
    Row("a malformed IPv6 coordinator", "train",
        (*TRAIN, "--num_processes=2", "--process_id=1", "--coordinator_address=[::1::2]:1234",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --coordinator_address: '::1::2' is not an IPv6 address; "
        "give host:port of process 0, as in --coordinator_address=10.0.0.1:1234."),
    Row("a host name with an underscore", "train",
        (*TRAIN, "--num_processes=2", "--process_id=1", "--coordinator_address=bad_host:1234",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --coordinator_address: 'bad_host' is not a host name or an "
        "IPv4 address; give host:port of process 0, as in --coordinator_address=10.0.0.1:1234."),
    Row("two processes and no coordinator", "train",
        (*TRAIN, "--num_processes=2", "--process_id=1", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --coordinator_address: is required when --num_processes is "
        "above 1: give host:port of process 0, as in --coordinator_address=10.0.0.1:1234."),
    Row("a process index beyond the job", "train",
        (*TRAIN, "--num_processes=2", "--process_id=2", "--coordinator_address=127.0.0.1:1234",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --process_id: 2 is not below --num_processes=2; number the "
        "processes 0 to 1."),
    Row("a coordinator that never answers (process 1 alone)", "train",
        (*TRAIN, "--num_processes=2", "--process_id=1", "--coordinator_address=127.0.0.1:1",
         "--distributed_timeout=2", "--workdir={tmp}/w"),
        "error: the job's processes did not all join within --distributed_timeout=2 s (process "
        "1 of 2, coordinator 127.0.0.1:1); start every process of the job with the same "
        "--coordinator_address, check that process 0's host and port are reachable from every "
        "host, or raise --distributed_timeout."),
    Row("a peer that never comes (process 0 alone)", "train",
        (*TRAIN, "--num_processes=2", "--process_id=0", "--coordinator_address=127.0.0.1:29517",
         "--distributed_timeout=2", "--workdir={tmp}/w"),
        "error: the job's processes did not all join within --distributed_timeout=2 s (process "
        "0 of 2, coordinator 127.0.0.1:29517); start every process of the job with the same "
        "--coordinator_address, check that process 0's host and port are reachable from every "
        "host, or raise --distributed_timeout."),
    Row("a start-up timeout of zero", "train",
        (*TRAIN, "--distributed_timeout=0", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: flag --distributed_timeout=0.0: --distributed_timeout must "
        "be a finite number, positive and at most 86400."),
    Row("a start-up timeout that is NaN", "train",
        (*TRAIN, "--distributed_timeout=nan", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: flag --distributed_timeout=nan: --distributed_timeout must "
        "be a finite number, positive and at most 86400."),
    # ---------------------------------------------------------------------- signals
    Row("Ctrl-C during start-up, before any handler of the binary's own", "train",
        (*TRAIN, "--workdir={tmp}/w"),
        "error: interrupted by SIGINT during start-up; nothing was written; run the same "
        "command again.", fault="sigint_at_start"),
    Row("SIGTERM during start-up", "evaluate",
        ("--workdir={tmp}/w",),
        "error: interrupted by SIGTERM during start-up; nothing was written; run the same "
        "command again.", fault="sigterm_at_start"),
    # ---------------------------------------------------------------------- memory
    Row("hidden widths whose model cannot fit in memory", "train",
        (*TRAIN, "--config.model.hidden=(100000,100000)", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.hidden: (100000, 100000) makes a model of "
        "2.02e+10 parameters whose training state needs about {n} GB ({n} GB state, {n} KB "
        "data, {n} {n} activations), more than the {n} GB a run can use of this machine's memory "
        "(cpu); make it smaller."),
    Row("a code of two billion units", "train",
        (*TRAIN, "--config.model.latent_dim=2000000000", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.latent_dim: 2000000000 makes a model of "
        "{n} parameters whose training state needs about {n} TB ({n} TB state, {n} KB data, {n} "
        "{n} activations), more than the {n} GB a run can use of this machine's memory (cpu); "
        "make it smaller."),
    Row("importance samples whose activations cannot fit", "train",
        ("--config=experiments/configs/quick.py:iwae", "--config.data.data_dir={data}",
         "--config.iwae.num_samples=100000", "--config.train.batch_size=128",
         "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.iwae.num_samples: 100000 samples of each of 128 "
        "examples needs about {n} {n} ({n} MB state, {n} KB data, {n} {n} activations), more "
        "than the {n} GB a run can use of this machine's memory (cpu); lower it (or "
        "train.batch_size)."),
    Row("an importance chunk that cannot fit", "evaluate",
        ("--workdir={run}", "--num_importance_samples=100000000",
         "--importance_chunk=100000000"),
        "FATAL Flags parsing error: --importance_chunk: 100000000 needs about {n} TB "
        "(10000000000 codes at once: --importance_batch x --importance_chunk), more than the {n} "
        "GB a run can use of this machine's memory (cpu); lower it.", setup="run_vae"),
    Row("Parzen samples that cannot fit", "manifold",
        ("--workdir={tmp}/w", "--parzen_samples=1000000000"),
        "FATAL Flags parsing error: --parzen_samples: 1000000000 needs about {n} TB (the Parzen "
        "centres and distances), more than the {n} GB a run can use of this machine's memory "
        "(cpu); lower it."),
    Row("a model that passes the check but not the machine's limit (8 GB)", "train",
        (*TRAIN, "--config.model.hidden=(400000,)", "--workdir={tmp}/w"),
        "error: the run ran out of memory (INTERNAL: Error dispatching computation: Out of "
        "memory allocating {n} bytes.; {n} GB free in this machine's memory (cpu)); lower the "
        "sizes it holds at once (batch sizes, widths, sample counts), or free memory; no "
        "checkpoint was written yet; the same command starts {tmp}/w afresh.",
        fault="address_space"),
    Row("a network whose weights cannot fit (within the width and depth bounds)",
        "vanishing_gradient",
        ("--workdir={tmp}/w", "--data_dir={data}", "--width=8192", "--depth=256"),
        "FATAL Flags parsing error: --width: 8192 needs about {n} GB (256 layers of 8192 units, "
        "1.71e+10 weights), more than the {n} GB a run can use of this machine's memory (cpu); "
        "lower it (or --depth)."),
    Row("a float64 network whose weights cannot fit", "taylor_check",
        ("--workdir={tmp}/w", "--data_dir={data}", "--width=8192", "--depth=64"),
        "FATAL Flags parsing error: --width: 8192 needs about {n} GB (64 layers of 8192 units, "
        "4.17e+09 weights), more than the {n} GB a run can use of this machine's memory (cpu); "
        "lower it (or --depth)."),
    # ---------------------------------------------------------------------- configs that load
    Row("a config file whose get_config returns None", "train",
        ("--config={tmp}/returns_none.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: get_config() in {tmp}/returns_none.py returned "
        "None, not an ml_collections.ConfigDict; return one, as experiments/configs/ae.py "
        "does.", setup="configs"),
    Row("a config file whose get_config returns a dict", "train",
        ("--config={tmp}/returns_dict.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: get_config() in {tmp}/returns_dict.py returned a "
        "dict, not an ml_collections.ConfigDict; return one, as experiments/configs/ae.py "
        "does.", setup="configs"),
    Row("a config file whose get_config returns a number", "train",
        ("--config={tmp}/returns_number.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: get_config() in {tmp}/returns_number.py returned "
        "an int, not an ml_collections.ConfigDict; return one, as experiments/configs/ae.py "
        "does.", setup="configs"),
    Row("a Python file without get_config", "train",
        ("--config={tmp}/no_get_config.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: {tmp}/no_get_config.py has no get_config() "
        "function; define get_config() returning an ml_collections.ConfigDict, as "
        "experiments/configs/ae.py does.", setup="configs"),
    Row("a config file whose get_config raises", "train",
        ("--config={tmp}/raises.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: the config could not be loaded (RuntimeError: not "
        "today); name a file in experiments/configs/, such as "
        "--config=experiments/configs/ae.py, or a preset of quick.py by model name, such as "
        "--config=experiments/configs/quick.py:vae.", setup="configs"),
    Row("an empty ConfigDict", "train",
        ("--config={tmp}/empty_configdict.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.model.name: is missing; name the model (see "
        "experiments/configs/).", setup="configs"),
    Row("a config without its train section", "train",
        ("--config={tmp}/no_train_section.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train: is missing from the config: every config has "
        "model, data and train sections; start from a preset, such as "
        "--config=experiments/configs/ae.py.", setup="configs"),
    Row("a config that returns None", "semisupervised",
        ("--config={tmp}/returns_none.py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: get_config() in {tmp}/returns_none.py returned "
        "None, not an ml_collections.ConfigDict; return one, as experiments/configs/ae.py "
        "does.", setup="configs"),
    # ---------------------------------------------------------------------- the wrong dataset
    Row("Fashion-MNIST's files under mnist/", "train",
        ("--config=experiments/configs/quick.py:ae", "--config.data.dataset=mnist",
         "--config.data.data_dir={tmp}/d", "--config.train.epochs=1", "--workdir={tmp}/w"),
        "error: {tmp}/d/mnist holds fashion_mnist's train images, not mnist's (its first 100 "
        "images are fashion_mnist's); choose the dataset fashion_mnist, or point "
        "--config.data.data_dir at mnist's files.", setup="swapped_dataset"),
    Row("Fashion-MNIST's files under mnist/", "descent",
        ("--workdir={tmp}/w", "--dataset=mnist", "--data_dir={tmp}/d"),
        "error: {tmp}/d/mnist holds fashion_mnist's test images, not mnist's (its first 100 "
        "images are fashion_mnist's); choose the dataset fashion_mnist, or point --data_dir "
        "at mnist's files.", setup="swapped_dataset"),
    # ---------------------------------------------------------------------- divergence blame
    Row("a likelihood that overflows on the mean image (not the learning rate)", "train",
        (*TRAIN, "--config.model.likelihood=gaussian", "--config.model.sigma=1e-30",
         "--config.train.learning_rate=1e-6", "--workdir={tmp}/w"),
        "error: training diverged in epoch 1: the train loss was not finite in 8 of its 8 "
        "steps; no checkpoint was written. The likelihood overflows on the mean image itself (its "
        "NLL is not finite), so the learning rate is not the cause: with "
        "--config.model.likelihood=gaussian, raise --config.model.sigma (now 1e-30) or choose "
        "another likelihood, and train into a new --workdir."),
    # ---------------------------------------------------------------------- wrong kinds, counts
    Row("runs that are not training runs", "compare_codes",
        ("--workdirs={tmp}/w", "--out={tmp}/codes.png"),
        "error: {tmp}/w holds the outputs of python -m experiments.descent, not a training "
        "run; name the workdir of python -m experiments.train.", setup="descent_workdir"),
    Row("a root holding only a descent workdir", "report",
        ("--root={tmp}",),
        "FATAL Flags parsing error: --root: {tmp} holds no training runs (sub-directories with "
        "config.json and metrics.json).", setup="descent_workdir"),
    Row("more figure neighbours than training images", "evaluate",
        ("--workdir={run}", "--neighbours=1000"),
        "FATAL Flags parsing error: --neighbours: 1000 is more than the 256 training images the "
        "neighbours are drawn from; lower it.", setup="run"),
    Row("held-out labels as many as the labels", "semisupervised",
        ("--workdir={tmp}/w", "--holdout_labels=100"),
        "FATAL Flags parsing error: --holdout_labels: 100 must be a multiple of 10 below "
        "data.num_labels (100), or 0."),
    Row("a latent size as large as the images", "manifold",
        ("--workdir={tmp}/w", "--latent_sizes=2,784"),
        "FATAL Flags parsing error: --latent_sizes: must be integers from 1 to 783, not "
        "['2', '784']."),
    Row("a Parzen bandwidth range upside down", "manifold",
        ("--workdir={tmp}/w", "--parzen_sigma_min=2", "--parzen_sigma_max=1"),
        "FATAL Flags parsing error: --parzen_sigma_min: 2 must be below --parzen_sigma_max=1."),
    # ---------------------------------------------------------------------- reproduce
    Row("a protocol that does not exist", "reproduce",
        ("--workdir={tmp}/w", "--only=flax_vae,iwae_table2"),
        "FATAL Flags parsing error: --only: 'iwae_table2' is not a protocol; choose from "
        "flax_vae, kingma_welling_fig2, iwae_table1, m2_100, m1m2_100, aae_figure4, aae_parzen, "
        "aae_clustering_16 (or NAME/ROW)."),
    Row("a row that its protocol does not have", "reproduce",
        ("--workdir={tmp}/w", "--only=iwae_table1/vae_k7"),
        "FATAL Flags parsing error: --only: 'iwae_table1/vae_k7' is not a row of iwae_table1; "
        "its rows are iwae_table1/vae_k1, iwae_table1/vae_k5, iwae_table1/vae_k50, "
        "iwae_table1/iwae_k1, iwae_table1/iwae_k5, iwae_table1/iwae_k50."),
    Row("no seeds", "reproduce", ("--workdir={tmp}/w", "--seeds=0"),
        "FATAL Flags parsing error: flag --seeds=0: --seeds must be a finite number, positive."),
    Row("a negative epoch cap", "reproduce", ("--workdir={tmp}/w", "--max_epochs=-3"),
        "FATAL Flags parsing error: flag --max_epochs=-3: --max_epochs must be a finite number, "
        "positive."),
    Row("a data directory that does not exist", "reproduce",
        ("--workdir={tmp}/w", "--data_dir={tmp}/nope", "--only=flax_vae"),
        "error: data directory {tmp}/nope does not exist; fix --data_dir / AE_DATA_DIR or unset "
        "it to use the default sources."),
    Row("a data directory without MNIST's files", "reproduce",
        ("--workdir={tmp}/w", "--data_dir={data}", "--only=flax_vae"),
        "error: {data}/t10k-images-idx3-ubyte[.gz] is missing, so the test split cannot be loaded "
        "from {data}; put the file there or point --data_dir / AE_DATA_DIR at a directory that "
        "has it."),
    Row("another binary's workdir", "reproduce",
        ("--workdir={tmp}/w", "--data_dir={data}/fashion_mnist", "--only=flax_vae"),
        "FATAL Flags parsing error: --workdir: {tmp}/w holds the outputs of python -m "
        "experiments.descent, which experiments.reproduce would overwrite; choose another "
        "--workdir.", setup="descent_workdir"),
    Row("a workdir another process holds", "reproduce",
        ("--workdir={tmp}/w", "--data_dir={data}/fashion_mnist", "--only=flax_vae"),
        "FATAL Flags parsing error: --workdir: {tmp}/w is in use by process {n} (python -m "
        "experiments.descent); wait for it to end or stop it (kill {n}), or choose another "
        "--workdir.", setup="workdir_held"),
    # ------------------------------------------------------------- the file system's limits
    Row("a workdir name longer than the file system allows", "train",
        (*TRAIN, "--workdir={tmp}/" + "w" * 300),
        "FATAL Flags parsing error: --workdir: a name in it is 300 bytes long (wwwwwwwwwwww...), "
        "more than the file system allows (255); choose a shorter path."),
    Row("a workdir path longer than 4096 bytes", "descent",
        ("--workdir={tmp}/" + "/".join(["d" * 200] * 21),),
        "FATAL Flags parsing error: --workdir: its path is {n} bytes long, more than the file "
        "system allows (4095); choose a shorter path."),
    Row("a data directory name longer than the file system allows", "train",
        ("--config=experiments/configs/quick.py:ae", "--config.data.data_dir={tmp}/" + "d" * 300,
         "--workdir={tmp}/w"),
        "error: data directory {tmp}/" + "d" * 300 + " does not exist; fix "
        "--config.data.data_dir / AE_DATA_DIR or unset it to use the default sources."),
    Row("a config path longer than the file system allows", "train",
        ("--config={tmp}/" + "c" * 300 + ".py", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config: the config could not be loaded (OSError: "
        "Configuration is not available because of an earlier failure to load: [Errno 36] File "
        "name too long: '{tmp}/" + "c" * 300 + ".py'); name a file in experiments/configs/, such "
        "as --config=experiments/configs/ae.py."),
]


def markdown() -> str:
  """The README table; train rows leave out the TRAIN flags they all share."""
  cell = lambda text: text.replace("|", "\\|")
  lines = ["| binary | bad input | exit | what it says |", "|---|---|---|---|"]
  for row in ROWS:
    shared = TRAIN if row.binary == "train" else ()
    flags = " ".join(a for a in row.args if a not in shared)
    what = f"{row.what}: `{cell(flags)}`" if flags else row.what
    lines.append(f"| {row.binary} | {what} | {row.code} | `{cell(row.expect)}` |")
  return "\n".join(lines)


if __name__ == "__main__":
  print(markdown())
