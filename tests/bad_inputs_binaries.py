"""The bad-input rows of the lecture's other binaries, the benchmark and one writer per workdir
(see tests/bad_inputs.py)."""

from tests.bad_input_row import TRAIN, Row

ROWS = [
    # ---------------------------------------------------------------------- imputation
    Row("an autoencoder where the chain needs a VAE", "imputation",
        ("--workdir={tmp}/out", "--vae={tmp}/run"),
        "FATAL Flags parsing error: --vae: {run} holds a run of ae, which has no Gaussian "
        "encoder to run the chain with; name a vae, iwae or vaegan run.", setup="run"),
    Row("a missing fraction above 1", "imputation",
        ("--workdir={tmp}/out", "--vae={tmp}/run", "--fraction=1.5"),
        "FATAL Flags parsing error: flag --fraction=1.5: --fraction must lie between 0 and 1."),
    # ---------------------------------------------------------------------- lecture
    Row("an MNIST directory that does not exist", "lecture",
        ("--workdir={tmp}/w", "--mnist_dir={tmp}/nowhere", "--only_site"),
        "FATAL Flags parsing error: --mnist_dir: {tmp}/nowhere is not a directory; name the "
        "directory that holds the IDX files."),
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
]
