"""The bad-input rows of faults and edge cases: distributed start-up, signals, memory, configs,
the wrong data, divergence, wrong kinds and counts, reproduce, the file system's limits (see
tests/bad_inputs.py)."""

from tests.bad_input_row import TRAIN, Row

ROWS = [
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
