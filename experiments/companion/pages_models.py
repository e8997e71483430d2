"""Parts 3 to 5 of the companion: the autoencoders, the generative autoencoders and the
applications (see `experiments.companion.pages` for the pieces)."""

from experiments.companion.pages import Fig, Num, Page, Section, Table

_M, _E, _I = "metrics.json", "eval.json", "imputation.json"
_CODES = (("kNN accuracy (k = 5)", _E, "knn_accuracy_k5"),
          ("linear probe accuracy", _E, "linear_probe_accuracy"))
_IMPUTERS = ("mean image", "1-NN", "10-NN", "vae chain", "vae p(x_m given x_o)",
             "cvae chain (label)", "cvae p(x_m given x_o) (label)", "dae")
_SCORES = (("NLL (nats)", _I, "nll"), ("squared error", _I, "squared_error"))

PART3 = Page("part3", "3. Autoencoders: plain, denoising, sparse, contractive",
             "Four ways to make a code useful: a bottleneck, noise, sparsity and contraction, "
             "each trained and scored by the same reconstruction NLL and the same probes.", (
  Section("The autoencoder and its likelihood",
          "An encoder f and a decoder g trained to reconstruct: with a Bernoulli decoder the "
          "loss is the reconstruction's negative log-likelihood, in nats per image.",
          (r"\mathcal{L}(x) = -\log p(x \mid g(f(x))) = -\sum_j x_j \log \hat x_j + "
           r"(1 - x_j) \log (1 - \hat x_j)",),
          (Fig("ae", "reconstructions.png", "Test images above their reconstructions."),
           Fig("ae_latent2", "latent.png", "A 2-D code of the test images, by class.")),
          (),
          (Table("Test reconstruction NLL and what the codes know",
                 (("ae", "ae"), ("dae", "dae"), ("sae", "sae"), ("cae", "cae")),
                 (("reconstruction NLL (nats)", _E, "test_reconstruction_nll"),) + _CODES),)),
  Section("Denoising",
          "Corrupt the input, reconstruct the clean image: the code has to capture the "
          "structure that survives the noise.",
          (r"\mathcal{L}(x) = \mathbb{E}_{\tilde x \sim C(\tilde x \mid x)}"
           r"[-\log p(x \mid g(f(\tilde x)))]",),
          (Fig("dae", "denoising.png", "Clean, corrupted (30% of the pixels masked) and "
               "denoised test images."),), ()),
  Section("Sparse and contractive",
          "Sparsity pushes each code unit's mean activation to a target rate; contraction "
          "penalizes the Jacobian of the code, so the code moves little along directions "
          "off the data manifold.",
          (r"\Omega_{\text{sparse}} = \sum_k \mathrm{KL}(\rho \,\|\, \hat\rho_k), \quad "
           r"\Omega_{\text{contractive}} = \left\| \frac{\partial f(x)}{\partial x} "
           r"\right\|_F^2",),
          (Fig("sae", "reconstructions.png", "The sparse AE's reconstructions."),
           Fig("cae", "reconstructions.png", "The contractive AE's reconstructions.")), ()),
))

PART4 = Page("part4", "4. Variational and adversarial autoencoders",
             "The VAE's bound, the IWAE's tighter one, the conditional VAE, and the adversarial "
             "autoencoder that matches its codes to a prior of the lecture's choosing.", (
  Section("The variational autoencoder",
          "An encoder q(z | x), a prior p(z) and a decoder p(x | z): maximize the evidence "
          "lower bound; the importance-sampled bound with k samples tightens it toward log p(x).",
          (r"\log p(x) \ge \mathbb{E}_{q(z \mid x)}[\log p(x \mid z)] - "
           r"\mathrm{KL}(q(z \mid x) \,\|\, p(z))",
           r"\mathcal{L}_k = \mathbb{E}\left[\log \frac{1}{k} \sum_{i=1}^k "
           r"\frac{p(x, z_i)}{q(z_i \mid x)}\right], \quad \mathcal{L}_1 \le \mathcal{L}_k "
           r"\le \log p(x)"),
          (Fig("vae", "samples.png", "Decoder means at z drawn from the prior."),
           Fig("vae_latent2", "manifold.png", "A 2-D VAE's decoder over a grid of the "
               "prior's quantiles.")),
          (),
          (Table("Test ELBO and importance-sampled NLL (nats per image)",
                 (("vae", "vae"), ("iwae (k = 5)", "iwae"), ("cvae", "cvae")),
                 (("ELBO", _E, "test_elbo"), ("NLL (importance-sampled)", _E, "test_nll_is"),
                  ("samples k", _E, "num_importance_samples"))),)),
  Section("The conditional VAE",
          "The label joins the encoder's and the decoder's inputs: the code keeps the style, "
          "the label the class.",
          (r"q(z \mid x, y), \quad p(x \mid z, y)",),
          (Fig("cvae", "analogies.png", "One test image's style decoded with every label."),),
          ()),
  Section("The adversarial autoencoder",
          "A discriminator on the code tells prior samples from encoded images; the encoder "
          "learns to fool it, so the codes fill the prior: here the lecture's mixture of ten "
          "2-D Gaussians, one per label.",
          (r"\min_{f} \max_{D} \; \mathbb{E}_{z \sim p(z)}[\log D(z)] + "
           r"\mathbb{E}_{x}[\log(1 - D(f(x)))]",),
          (Fig("aae_mixture", "codes_over_prior.png", "Test codes over the prior's samples."),),
          (Num("test codes at their own label's component", "aae_mixture", _E,
               "label_component_agreement"),)),
  Section("M2: semi-supervised with 100 labels",
          "Kingma et al.'s M2: the conditional VAE with a classifier q(y | x); L(x, y) is the "
          "negative bound of a labelled image, and on unlabelled images the label is summed "
          "out of it, so every image trains the classifier. "
          "Against an MLP trained on the 100 labelled images alone and a linear probe on a "
          "label-free VAE's codes (M1), on the same labels.",
          (r"\mathcal{U}(x) = \sum_y q(y \mid x)\, \mathcal{L}(x, y) - "
           r"\mathcal{H}(q(y \mid x)), \quad \mathcal{J}^\alpha = \sum_{(x, y)} "
           r"\mathcal{L}(x, y) + \sum_x \mathcal{U}(x) + \alpha\, \mathbb{E}_{(x, y)}"
           r"[-\log q(y \mid x)]",),
          (),
          (Num("M2 test accuracy (mean over label draws)", "semisupervised",
               "semisupervised.json", "summary/m2/mean"),
           Num("MLP on the labelled images alone", "semisupervised", "semisupervised.json",
               "summary/mlp/mean"),
           Num("M1: linear probe on a VAE's codes", "semisupervised", "semisupervised.json",
               "summary/m1/mean"),
           Num("labelled images", "semisupervised", "semisupervised.json", "num_labels"))),
  Section("Against the papers",
          "The same models under the papers' own MNIST protocols (experiments.reproduce): the "
          "paper's number next to ours, with the epochs run of the protocol's. The quick scale "
          "runs only the first epochs of the flax examples' VAE; the full scale the protocols "
          "that end within half an hour here. The rest, and why some rows miss, is in the "
          "README's section \"Against the papers\".",
          (), (), (),
          (Table("The papers' numbers and ours (mean over the seeds or label draws)", (),
                 (("paper", "papers.json", "paper"), ("paper ±", "papers.json", "paper_std"),
                  ("ours", "papers.json", "ours"), ("ours ±", "papers.json", "ours_std"),
                  ("unit", "papers.json", "unit"), ("seeds", "papers.json", "seeds"),
                  ("epochs run", "papers.json", "epochs_run"),
                  ("of the protocol's", "papers.json", "epochs_protocol")),
                 ("papers", "papers.json", "")),)),
))

PART5 = Page("part5", "5. Applications: retrieval, generation, regression, GAN + VAE",
             "What the trained models are for: finding similar images, making new ones, "
             "filling in missing pixels, and a VAE trained against a discriminator.", (
  Section("Retrieval",
          "Nearest neighbours in code space retrieve images of the same kind.", (),
          (Fig("vae", "retrieval.png", "Queries and their nearest test codes (VAE)."),),
          (Num("kNN accuracy of the VAE's codes (k = 5)", "vae", _E, "knn_accuracy_k5"),
           Num("kNN accuracy of the AE's codes (k = 5)", "ae", _E, "knn_accuracy_k5"))),
  Section("Generation",
          "Decode samples of the prior; walk between two codes.", (),
          (Fig("vae", "samples.png", "Samples."),
           Fig("vae", "interpolation.png", "Decoded interpolations between test codes.")), ()),
  Section("Regression: filling in missing pixels",
          "Predict the missing pixels x_m of a test digit from the observed x_o: the VAE by "
          "Rezende et al.'s chain, and by its own conditional likelihood importance-sampled "
          "with the chains as the proposal; the conditional VAE given the label; the denoising "
          "AE in one pass; against the mean image and the nearest training images.",
          (r"z \sim q(z \mid x_o, x_m), \quad x_m \leftarrow \mathbb{E}[x_m \mid z]",
           r"p(x_m \mid x_o) \approx \frac{\sum_i w_i\, p(x_m \mid z_i)}{\sum_i w_i}, \quad "
           r"w_i = \frac{p(z_i)\, p(x_o \mid z_i)}{r(z_i)}"),
          (Fig("imputation", "imputation.png", "The bottom half of test digits filled in."),),
          (),
          (Table("The bottom half missing", tuple((m, None) for m in _IMPUTERS), _SCORES,
                 ("imputation", _I, "tasks/bottom_half")),
           Table("Half the pixels missing at random", tuple((m, None) for m in _IMPUTERS),
                 _SCORES, ("imputation", _I, "tasks/random")))),
  Section("GAN + VAE",
          "VAE-GAN (Larsen et al. 2016): the reconstruction error measured in a "
          "discriminator's feature layer, and the decoder trained to fool that discriminator "
          "too; the price is paid in the pixel likelihood.",
          (r"\mathcal{L}_{\text{llike}} = \frac{1}{2} \|\mathrm{Dis}_l(x) - "
           r"\mathrm{Dis}_l(\tilde x)\|^2, \quad \mathcal{L}_{\text{GAN}} = \log D(x) + "
           r"\log(1 - D(\tilde x)) + \log(1 - D(x_p))",),
          (Fig("mnist_vae", "samples.png", "The VAE's samples."),
           Fig("mnist_vaegan", "samples.png", "The VAE-GAN's samples, same networks."),
           Fig("mnist_vaegan", "learning_curves.png", "The VAE-GAN's losses per epoch: the "
               "discriminator's (2 log 2 = 1.386 at balance) and the generator's.")),
          (),
          (Table("Sample quality and likelihood (MNIST test images)",
                 (("vae", "mnist_vae"), ("vae-gan", "mnist_vaegan")),
                 (("Fréchet classifier distance", _E, "frechet_classifier_distance"),
                  ("its floor (training images)", _E,
                   "frechet_classifier_distance_train_images"),
                  ("reconstruction NLL", _E, "test_reconstruction_nll"),
                  ("NLL (importance-sampled)", _E, "test_nll_is"))),)),
))
