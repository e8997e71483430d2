"""The companion's five pages, in the lecture's order: per section a short text, its formulas
(LaTeX, rendered to MathML), its figures and its numbers, each figure and number naming the run
(a step of `experiments.companion.steps`) and the file it comes from. Nothing here is a result:
every number is read from the runs' JSON when the site is built.

  Fig(step, file, caption)
  Num(label, step, file, key)   key: the path into the JSON, "/"-separated
  Table(title, rows, columns)   rows: [(row label, step)], columns: [(label, file, key)]; or
                                Table(title, rows=[(label, None)], columns, within=(step, file,
                                prefix)) for the rows of one JSON object (key = prefix/row/col);
                                rows=() with within: every entry of that object, in its order
"""

from typing import NamedTuple


class Fig(NamedTuple):
  step: str
  file: str
  caption: str


class Num(NamedTuple):
  label: str
  step: str
  file: str
  key: str


class Table(NamedTuple):
  title: str
  rows: tuple
  columns: tuple
  within: tuple = ()


class Section(NamedTuple):
  title: str
  text: str
  math: tuple = ()
  figures: tuple = ()
  numbers: tuple = ()
  tables: tuple = ()


class Page(NamedTuple):
  slug: str
  title: str
  summary: str
  sections: tuple


_M = "metrics.json"
_EMBEDDERS = ("pca", "isomap", "lle", "tsne", "ae (2-D code)", "vae (2-D code)")

PART1 = Page("part1", "1. Deep learning through maximum likelihood",
             "Descent derived from Taylor's expansion, backprop checked two ways, vanishing "
             "gradients, and losses read as negative log-likelihoods.", (
  Section("Descent from Taylor's expansion",
          "A step against the gradient lowers the loss when it is small enough: the first-order "
          "term predicts the decrease, the second-order term says when the step is too long. "
          "The three rules: step against the gradient; accept a step only when the loss drops, "
          "otherwise halve the learning rate; stop when the change is below a tolerance.",
          (r"L(\theta + \Delta) = L(\theta) + \nabla L(\theta)^\top \Delta + \frac{1}{2} "
           r"\Delta^\top H \Delta + O(\|\Delta\|^3)",
           r"\Delta = -\eta \nabla L(\theta) \Rightarrow L(\theta + \Delta) - L(\theta) \approx "
           r"-\eta \|\nabla L\|^2 + \frac{\eta^2}{2} \nabla L^\top H \nabla L"),
          (Fig("descent", "descent.png", "Loss per step: descent with the rules, every step "
               "taken, and Adam; predicted against actual decreases."),),
          (Num("final loss with the rules", "descent", _M, "gd_with_rules/final_loss"),
           Num("steps rejected by rule 2", "descent", _M, "gd_with_rules/rejected"),
           Num("final loss, every step taken", "descent", _M, "gd_every_step/final_loss"),
           Num("final loss, Adam", "descent", _M, "adam/final_loss"),
           Num("median error of the first-order prediction", "descent", _M,
               "gd_with_rules/median_abs_error_first_order"),
           Num("median error of the second-order prediction", "descent", _M,
               "gd_with_rules/median_abs_error_second_order"))),
  Section("The Taylor test",
          "The remainders of the expansion shrink at the orders they should only when the "
          "gradient and the Hessian-vector product are right.",
          (r"R_0(\epsilon) = |L(\theta + \epsilon d) - L(\theta)| = O(\epsilon), \quad "
           r"R_1 = |R_0 - \epsilon \nabla L^\top d| = O(\epsilon^2), \quad "
           r"R_2 = O(\epsilon^3)",),
          (Fig("taylor_check", "taylor.png", "Remainders against epsilon, log-log: slopes 1, 2 "
               "and 3."),),
          (Num("test passed", "taylor_check", _M, "passed"),
           Num("last rate of R1 (expected 2)", "taylor_check", _M, "rates/R1/-1"),
           Num("last rate of R2 (expected 3)", "taylor_check", _M, "rates/R2/-1"))),
  Section("Backprop's two assumptions, checked",
          "Backprop assumes the loss is a sum over examples and a composition of layers; the "
          "hand-derived recursion then equals jax.grad for every head, activation and depth.",
          (r"\delta_L = \frac{\partial \ell}{\partial z_L}, \quad \delta_l = (\delta_{l+1} "
           r"W_{l+1}^\top) \odot \sigma'(z_l), \quad \frac{\partial \ell}{\partial W_l} = "
           r"a_{l-1}^\top \delta_l",),
          (),
          (Num("largest relative error, backprop against autodiff (float64)", "gradient_check",
               _M, "max_relative_error"),
           Num("all checks passed", "gradient_check", _M, "passed"))),
  Section("Vanishing gradients",
          "Each layer multiplies the backpropagated signal by the activation's derivative; the "
          "sigmoid's is at most 1/4, so a deep sigmoid network's first layers barely learn.",
          (r"\sigma'(z) = \sigma(z)(1 - \sigma(z)) \le \frac{1}{4}",),
          (Fig("vanishing_gradient", "vanishing_gradient.png", "Gradient norm per layer, by "
               "activation and initialization."),),
          (Num("bound on the sigmoid's derivative", "vanishing_gradient", _M,
               "sigmoid_prime_bound"),
           Num("depth (weight layers)", "vanishing_gradient", _M, "depth"))),
  Section("MSE against cross-entropy on one neuron",
          "With the quadratic loss the gradient keeps a sigma'(z) factor, so a saturated neuron "
          "learns slowly; with cross-entropy the factor cancels.",
          (r"\frac{\partial}{\partial w} \frac{(a - y)^2}{2} = (a - y)\, \sigma'(z)\, x, \quad "
           r"\frac{\partial}{\partial w} \mathrm{CE} = (a - y)\, x",),
          (Fig("loss_comparison", "loss_comparison.png", "Output and loss per step, both "
               "losses, from the same saturated start."),),
          (Num("MSE: output after 150 steps", "loss_comparison", _M, "mse/outputs/150"),
           Num("cross-entropy: output after 150 steps", "loss_comparison", _M,
               "ce/outputs/150"),
           Num("MSE: final output", "loss_comparison", _M, "mse/outputs/-1"))),
  Section("Losses as negative log-likelihoods",
          "Minimizing MSE is maximizing a Gaussian likelihood with sigma = 1, and binary "
          "cross-entropy is the Bernoulli NLL; the network outputs a distribution, so it can be "
          "sampled, and it can learn its own sigma.",
          (r"-\log \mathcal{N}(y; f(x), \sigma^2) = \frac{(y - f(x))^2}{2\sigma^2} + "
           r"\log \sigma + \frac{1}{2} \log 2\pi",),
          (Fig("likelihood_view", "samples.png", "Samples of the bottom half from the fitted "
               "distributions."),
           Fig("likelihood_view", "fit_curves.png", "The fits' losses per step.")),
          (Num("relative parameter difference, MSE fit against Gaussian NLL fit",
               "likelihood_view", _M, "gaussian/relative_param_diff_mse_vs_nll"),
           Num("relative parameter difference, BCE fit against Bernoulli NLL fit",
               "likelihood_view", _M, "bernoulli/relative_param_diff_bce_vs_nll"),
           Num("held-out NLL, sigma = 1", "likelihood_view", _M,
               "learned_variance/test_nll_sigma_1"),
           Num("held-out NLL, learned sigma(x)", "likelihood_view", _M,
               "learned_variance/test_nll_learned_sigma"))),
))

PART2 = Page("part2", "2. Manifold learning",
             "A linear autoencoder learns PCA's subspace; classic embeddings against learned "
             "codes; distances along the manifold; Parzen windows.", (
  Section("A linear autoencoder is PCA",
          "Trained to its optimum, a linear autoencoder's decoder spans the top-k principal "
          "subspace (Baldi and Hornik): the principal angles between the two go to zero.",
          (r"\min_{W_e, W_d} \|X - X W_e W_d\|_F^2 \Rightarrow \mathrm{span}(W_d^\top) = "
           r"\mathrm{span}(u_1, \dots, u_k)",),
          (Fig("manifold", "linear_ae.png", "Principal angles and errors of the linear AE "
               "against PCA."),),
          (Num("largest principal angle at k = 2 (degrees)", "manifold", _M,
               "linear_ae_max_principal_angle_deg/2"),)),
  Section("Classic embeddings against learned codes",
          "PCA, Isomap, LLE and t-SNE against the 2-D codes of an autoencoder and a VAE: only "
          "the learned codes (and PCA) both embed new images and decode back.",
          (), (Fig("manifold", "embeddings.png", "2-D embeddings of the same test images."),),
          (), (Table("kNN accuracy (k = 5) and trustworthiness in 2-D",
                     tuple((e, None) for e in _EMBEDDERS),
                     (("kNN accuracy", _M, "knn_accuracy_k5"),
                      ("trustworthiness", _M, "trustworthiness_k5")),
                     ("manifold", _M, "embeddings")),)),
  Section("Euclidean against manifold distance",
          "Nearest neighbours by pixels and by the VAE's codes, with how often they share the "
          "query's label.", (),
          (Fig("manifold", "neighbours.png", "Queries and their nearest neighbours, by pixels "
               "and by codes."),),
          (Num("label agreement of pixel neighbours", "manifold", _M,
               "distance_label_agreement/pixel/agreement"),
           Num("label agreement of code neighbours", "manifold", _M,
               "distance_label_agreement/latent/agreement"))),
  Section("The manifold hypothesis and Parzen windows",
          "Real images are far likelier under the model than blends or noise; a Parzen window "
          "on the model's samples estimates a likelihood too, with a bandwidth chosen on "
          "held-out images.",
          (r"\hat p(x) = \frac{1}{n} \sum_{i=1}^n \mathcal{N}(x; x_i, \sigma^2 I)",),
          (Fig("manifold", "nll.png", "NLL of test images, pixel blends and noise."),
           Fig("manifold", "parzen.png", "Parzen log-likelihood against the bandwidth.")),
          (Num("NLL of test images", "manifold", _M, "nll/test images/mean"),
           Num("NLL of pixel blends", "manifold", _M, "nll/pixel blends of two/mean"),
           Num("NLL of uniform noise", "manifold", _M, "nll/uniform noise/mean"),
           Num("Parzen test log-likelihood", "manifold", _M, "parzen/test_log_likelihood"),
           Num("its bandwidth", "manifold", _M, "parzen/sigma"))),
))
