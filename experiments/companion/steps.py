"""The runs the lecture companion needs, in the lecture's order, at three scales.

Each step is one binary invocation into its own directory under the scale's run root; a step
whose output file is already there is reused, and an interrupted training run resumes (its
command is the same). Scales:

  quick   parts 1-4 on 10,000 Fashion-MNIST training images, 3 epochs; part 5 on 10,000 MNIST
          training images, 3 epochs, imputation on 1,000 test images with 50 importance samples
          per chain; the flax examples' VAE for 5 epochs (about 10 minutes on 2 cores)
  full    the README's settings: every training image, 10 epochs (20 for part 5's MNIST runs,
          configs/mnist.py), the chapter binaries' defaults, k = 1000 NLLs, and the papers'
          protocols that end within half an hour (_PAPERS)
  tiny    the test's: 256 training images of the given data, one epoch, narrow networks
"""

from typing import NamedTuple

SCALES = ("quick", "full", "tiny")


class Step(NamedTuple):
  name: str          # unique; also the run's directory under the run root
  module: str        # experiments.MODULE
  args: tuple        # flags other than --workdir (paths relative to the run root: {root})
  done: str          # the file under the run's directory that says the step has finished
  workdir: str = ""  # the directory written (default: name); evaluate writes into its run


# Per scale: the training runs' overrides (MNIST's and Fashion-MNIST's alike), then the other
# binaries' flags.
_TRAIN = {
    "quick": ("--config.data.max_train_examples=10000", "--config.train.epochs=3"),
    "full": (),
    "tiny": ("--config.data.max_train_examples=256", "--config.data.max_test_examples=128",
             "--config.train.epochs=1", "--config.model.hidden=(64,)",
             "--config.train.batch_size=32"),
}
_EVAL = {"quick": ("--num_importance_samples=100", "--probe_steps=100"),
         "full": ("--num_importance_samples=1000",),
         "tiny": ("--num_importance_samples=5", "--probe_steps=5", "--k=5", "--queries=2",
                  "--neighbours=2")}
_FRECHET = {"quick": ("--frechet_samples=2000", "--frechet_classifier_steps=300"),
            "full": ("--frechet_samples=10000",),
            "tiny": ("--frechet_samples=100", "--frechet_classifier_steps=5")}
_CHAPTER = {   # binary: flags that shorten it
    "quick": {"gradient_check": ("--max_depth=4",), "descent": ("--rows=1000",),
              "likelihood_view": ("--rows=2000", "--steps=150", "--sigma_steps=800"),
              "vanishing_gradient": (), "taylor_check": (), "loss_comparison": ()},
    "full": {},
    "tiny": {"gradient_check": ("--max_depth=2", "--rows=8", "--heads=bernoulli",
                                "--activations=tanh,relu"),
             "descent": ("--rows=64", "--max_steps=20"),
             "likelihood_view": ("--rows=128", "--steps=5", "--sigma_steps=5",
                                 "--components=4"),
             "vanishing_gradient": ("--rows=32",), "taylor_check": ("--rows=16",)},
}
_MANIFOLD = {
    "quick": ("--linear_examples=2000", "--linear_steps=1500", "--embed_examples=1000",
              "--nll_examples=300", "--num_importance_samples=20", "--parzen_samples=2000"),
    "full": (),
    "tiny": ("--linear_examples=64", "--linear_steps=20", "--embed_examples=64",
             "--nll_examples=16", "--num_importance_samples=2", "--parzen_samples=64",
             "--latent_sizes=2"),
}
_SEMI = {
    "quick": ("--label_seeds=0", "--config.train.epochs=2", "--vae_config.train.epochs=2",
              "--config.data.max_train_examples=10000"),
    "full": ("--label_seeds=0,1,2",),
    "tiny": ("--label_seeds=0", "--config.train.epochs=1", "--vae_config.train.epochs=1",
             "--config.data.max_train_examples=256", "--config.data.max_test_examples=128",
             "--config.model.hidden=(64,)", "--vae_config.model.hidden=(64,)",
             "--mlp_steps=5", "--probe_steps=5"),
}
# The papers' protocols (experiments.reproduce): quick the flax examples' VAE's first epochs; full
# the protocols that end within half an hour on 2 cores (flax_vae 20 epochs, m2_100 over its 3
# label draws, aae_figure4); the longer ones (kingma_welling_fig2, iwae_table1, m1m2_100,
# aae_parzen, aae_clustering_16) stay with reproduce itself.
_PAPERS = {"quick": ("--only=flax_vae", "--max_epochs=5"),
           "full": ("--only=flax_vae,m2_100,aae_figure4",),
           "tiny": ("--only=flax_vae", "--max_epochs=1")}
_IMPUTATION = {"quick": ("--max_test_examples=1000", "--samples_per_chain=50"), "full": (),
               "tiny": ("--iterations=4", "--samples_per_chain=10")}


def dependencies(steps: list) -> dict:
  """{step: the earlier steps it needs}: those whose run directory it writes into (evaluate
  after train) or names in its flags ({root}/NAME)."""
  out = {}
  for i, step in enumerate(steps):
    mine = step.workdir or step.name
    out[step.name] = {s.name for s in steps[:i]
                      if (s.workdir or s.name) == mine
                      or any(a.endswith("{root}/" + (s.workdir or s.name)) for a in step.args)}
  return out


def _train(name, preset, scale, data, *extra):
  return Step(name, "train", (f"--config=experiments/configs/{preset}", *data, *_TRAIN[scale],
                              *extra), "metrics.json")


def _evaluate(run, scale, *extra):
  """The scale's evaluation flags, less those that `extra` sets again."""
  mine = {a.split("=", 1)[0] for a in extra}
  base = tuple(a for a in _EVAL[scale] if a.split("=", 1)[0] not in mine)
  return Step(f"evaluate_{run}", "evaluate", (*base, *extra), "eval.json", run)


def steps(scale: str, fashion_dir: str | None, mnist_dir: str | None) -> list:
  """Every step of the companion at `scale`, the data read from the given IDX directories
  (None: the library's defaults, Debian's Fashion-MNIST or tfds)."""
  fashion = (f"--config.data.data_dir={fashion_dir}",) if fashion_dir else ()
  mnist = (f"--config.data.data_dir={mnist_dir}",) if mnist_dir else ()
  chapter_data = (f"--data_dir={fashion_dir}",) if fashion_dir else ()
  chapter = _CHAPTER[scale]
  out = []
  # Part 1: deep learning through maximum likelihood (the chapter binaries, Fashion-MNIST rows).
  for binary in ("descent", "taylor_check", "gradient_check", "vanishing_gradient",
                 "loss_comparison", "likelihood_view"):
    data = () if binary == "loss_comparison" else chapter_data
    out.append(Step(binary, binary, (*data, *chapter.get(binary, ())), "metrics.json"))
  # Parts 2-4 on Fashion-MNIST.
  out += [
      _train("ae_latent2", "ae.py", scale, fashion, "--config.model.latent_dim=2"),
      _train("vae_latent2", "vae.py", scale, fashion, "--config.model.latent_dim=2"),
      _train("ae", "ae.py", scale, fashion),
      _train("dae", "dae.py", scale, fashion),
      _train("sae", "sae.py", scale, fashion),
      _train("cae", "cae.py", scale, fashion),
      _train("vae", "vae.py", scale, fashion),
      _train("iwae", "iwae.py", scale, fashion),
      _train("cvae", "cvae.py", scale, fashion),
      _train("aae_mixture", "aae_mixture.py", scale, fashion),
  ]
  out.append(Step("manifold", "manifold", ("--ae_workdir={root}/ae_latent2",
                                           "--vae2_workdir={root}/vae_latent2",
                                           "--vae_workdir={root}/vae", *chapter_data,
                                           *_MANIFOLD[scale]), "metrics.json"))
  for run in ("ae", "dae", "sae", "cae"):
    out.append(_evaluate(run, scale, "--num_importance_samples=1"))
  for run in ("vae", "iwae", "cvae", "vae_latent2"):
    out.append(_evaluate(run, scale))
  out.append(_evaluate("aae_mixture", scale, "--num_importance_samples=1"))
  out.append(Step("semisupervised", "semisupervised", (*fashion, *_SEMI[scale]),
                  "semisupervised.json"))
  # Part 5 on MNIST: imputation and VAE-GAN against the VAE of the same networks.
  out += [
      _train("mnist_vae", "vaegan.py:vae", scale, mnist),
      _train("mnist_dae", "mnist.py:dae", scale, mnist),
      _train("mnist_cvae", "mnist.py:cvae", scale, mnist),
      _train("mnist_vaegan", "vaegan.py", scale, mnist),
      _evaluate("mnist_vae", scale, *_FRECHET[scale]),
      _evaluate("mnist_vaegan", scale, *_FRECHET[scale]),
      Step("imputation", "imputation", ("--vae={root}/mnist_vae", "--dae={root}/mnist_dae",
                                        "--cvae={root}/mnist_cvae", *_IMPUTATION[scale]),
           "imputation.json"),
      Step("papers", "reproduce", (*((f"--data_dir={mnist_dir}",) if mnist_dir else ()),
                                   *_PAPERS[scale]), "papers.json"),
  ]
  return out
