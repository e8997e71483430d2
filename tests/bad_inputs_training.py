"""The bad-input rows of training, evaluation and reports (see tests/bad_inputs.py)."""

from tests.bad_input_row import FOLDER, IMAGES, TRAIN, Row

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
        "ae, dae, sae, cae, vae, iwae, cvae, aae, aae_cat, m2, m1m2, vaegan."),
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
    Row("a compute dtype without float32's range", "train",
        (*TRAIN, "--config.train.compute_dtype=float16", "--workdir={tmp}/w"),
        "FATAL Flags parsing error: --config.train.compute_dtype: 'float16' is not a compute "
        "dtype here; choose float32 or bfloat16. float16 would need loss scaling (its range is "
        "too small for the gradients); bfloat16 has float32's range."),
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
        IMAGES,
        "error: {tmp}/imgs/c1/3.png is not a readable image (cannot identify image file "
        "'{tmp}/imgs/c1/3.png'); replace it or delete it.",
        setup="png_truncated"),
    Row("images of mixed sizes without an image size", "train",
        IMAGES,
        "error: {tmp}/imgs/c1/3.png is 8 wide and 12 high but {tmp}/imgs/c0/0.png is 8 wide and "
        "8 high; set "
        "--config.data.image_size to resize them all (such as --config.data.image_size=8).",
        setup="png_mixed_sizes"),
    Row("an empty image folder", "train",
        IMAGES,
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
    Row("sample quality of a model without a prior", "evaluate",
        ("--workdir={run}", "--frechet_samples=100"),
        "FATAL Flags parsing error: --frechet_samples: ae has no prior to sample images from; "
        "set it to 0 for this run.", setup="run"),
    Row("an Inception SavedModel that is not there", "evaluate",
        ("--workdir={run}", "--frechet_samples=100", "--inception_saved_model={tmp}/inception"),
        "FATAL Flags parsing error: flags inception_saved_model={tmp}/inception, "
        "frechet_samples=100: --inception_saved_model: {tmp}/inception holds no saved_model.pb "
        "(a TensorFlow SavedModel of Inception); fix the path or leave the flag out.",
        setup="run"),
    Row("an Inception SavedModel without samples to score", "evaluate",
        ("--workdir={run}", "--inception_saved_model={tmp}/inception"),
        "FATAL Flags parsing error: flags inception_saved_model={tmp}/inception, "
        "frechet_samples=0: "
        "--inception_saved_model scores generated images, so it needs --frechet_samples (such "
        "as --frechet_samples=10000).", setup="run"),
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
]
