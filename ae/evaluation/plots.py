"""Matplotlib figures (Agg backend, no display needed). Each function returns a Figure; save it
with `ae.cli.save_figure`."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LOSS_NAMES = {"mse": "quadratic (MSE)", "ce": "cross-entropy"}


def loss_comparison(metrics: dict, lr: float):
  fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
  for kind, m in metrics.items():
    axes[0].plot(m["outputs"], label=LOSS_NAMES.get(kind, kind))
    axes[1].plot(m["losses"], label=LOSS_NAMES.get(kind, kind))
  axes[0].set(xlabel="epoch", ylabel="output a = sigmoid(w x + b)", ylim=(0, 1),
              title=f"one neuron, x = 1, y = 0, eta = {lr:g}")
  axes[1].set(xlabel="epoch", ylabel="loss", title="loss")
  for ax in axes:
    ax.legend()
    ax.grid(alpha=0.3)
  return fig


def taylor(result, title: str):
  fig, ax = plt.subplots(figsize=(6, 4.5))
  eps = result.epsilons
  for i, r in enumerate(result.remainders):
    ax.loglog(eps, r, "o-", label=f"R{i} (expected order {i + 1})")
    ax.loglog(eps, r[0] * (eps / eps[0]) ** (i + 1), ":", color=ax.lines[-1].get_color())
  ax.set(xlabel="eps", ylabel="remainder", title=title)
  ax.legend(title="dotted: slope of the expected order", fontsize=8)
  ax.grid(alpha=0.3, which="both")
  return fig


def vanishing_gradient(metrics: dict):
  inits = list(metrics["grad_norms"])
  fig, axes = plt.subplots(1, len(inits), figsize=(4.2 * len(inits), 3.8), squeeze=False)
  for ax, init in zip(axes[0], inits):
    for act, norms in metrics["grad_norms"][init].items():
      ax.semilogy(np.arange(1, len(norms) + 1), norms, "o-", label=act)
    ax.set(xlabel="layer (1 = input side)", ylabel="||dL/dW_l||", title=f"init: {init}")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
  fig.suptitle(f"gradient norm per layer, depth {metrics['depth']}")
  return fig


def likelihood_samples(tops, panels: dict):
  """Rows: held-out examples; columns: the top half with each panel's bottom half below it."""
  tops = np.asarray(tops).reshape(-1, 7, 14)
  n, names = tops.shape[0], list(panels)
  fig, axes = plt.subplots(n, len(names), figsize=(1.5 * len(names), 1.6 * n), squeeze=False)
  for j, name in enumerate(names):
    bottoms = np.asarray(panels[name]).reshape(-1, 7, 14)
    for i in range(n):
      ax = axes[i, j]
      ax.imshow(np.clip(np.concatenate([tops[i], bottoms[i]]), 0, 1), cmap="gray", vmin=0, vmax=1)
      ax.axhline(6.5, color="tab:red", lw=0.8)
      ax.set_xticks([])
      ax.set_yticks([])
    axes[0, j].set_title(name, fontsize=8)
  fig.suptitle("p(bottom | top): given the top half (above the red line), the bottom half", fontsize=9)
  return fig


def curves(series: dict, xlabel: str, ylabel: str, logy: bool = True):
  """One panel per named curve (they live on different scales)."""
  fig, axes = plt.subplots(1, len(series), figsize=(4 * len(series), 3.4), squeeze=False)
  for ax, (name, values) in zip(axes[0], series.items()):
    values = np.asarray(values, dtype=float)
    (ax.semilogy if logy and np.all(values[np.isfinite(values)] > 0) else ax.plot)(values)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=name)
    ax.grid(alpha=0.3, which="both")
  return fig


def descent(metrics: dict):
  fig, axes = plt.subplots(1, 2, figsize=(11, 4))
  for name in ("gd_with_rules", "gd_every_step", "adam"):
    m = metrics[name]
    axes[0].semilogy(m["losses"], label=f"{name} ({m['rejected']} rejected)")
  g = metrics["gd_with_rules"]
  rejected = [i for i, a in enumerate(g["accepted"]) if not a]
  axes[0].semilogy(rejected, [g["losses"][i] for i in rejected], "rx", label="rejected attempt")
  axes[0].set(xlabel="step attempt", ylabel="mean NLL", title="loss")
  axes[0].legend(fontsize=8)
  steps = np.arange(len(g["actual"]))
  axes[1].plot(steps, g["predicted_first"], label="predicted, first order: eta ||g||^2")
  axes[1].plot(steps, g["predicted_second"], label="predicted, second order")
  axes[1].plot(steps, g["actual"], "k.", ms=3, label="actual decrease")
  axes[1].set_yscale("symlog", linthresh=1e-4)
  axes[1].set(xlabel="step attempt", ylabel="L(theta) - L(theta + u)",
              title="Taylor predictions vs actual decrease (GD with rules)")
  axes[1].legend(fontsize=8)
  for ax in axes:
    ax.grid(alpha=0.3)
  return fig


# ----------------------------------------------------------------------------- autoencoders


def image_shape(flat_size: int, shape=None) -> tuple:
  """(H, W, C) of flat images of `flat_size` values: `shape` when given (the data's, from its
  Spec), else a square grey image (sqrt(flat_size) on a side)."""
  if shape is not None:
    return tuple(int(v) for v in shape)
  side = int(round(flat_size ** 0.5))
  if side * side != flat_size:
    raise ValueError(f"images of {flat_size} values are not square and grey; pass their shape.")
  return side, side, 1


def as_images(flat, shape=None) -> np.ndarray:
  """[..., D] in [0, 1] -> [..., H, W, C], clipped."""
  flat = np.clip(np.asarray(flat, np.float32), 0, 1)
  return flat.reshape(*flat.shape[:-1], *image_shape(flat.shape[-1], shape))


def show(ax, image) -> None:
  """imshow of one [H, W, C] image in [0, 1]: grey for one channel, colour for three."""
  if image.shape[-1] == 1:
    ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
  else:
    ax.imshow(image, vmin=0, vmax=1)


def image_rows(rows: dict, title: str, shape=None):
  """One row of images per entry; each value is [n, D] in [0, 1], images of `shape`."""
  names = list(rows)
  n = np.asarray(rows[names[0]]).shape[0]
  fig, axes = plt.subplots(len(names), n, figsize=(1.1 * n, 1.25 * len(names)), squeeze=False)
  for i, name in enumerate(names):
    images = as_images(rows[name], shape)
    for j in range(n):
      show(axes[i, j], images[j])
      axes[i, j].set_xticks([])
      axes[i, j].set_yticks([])
    axes[i, 0].set_ylabel(name, fontsize=8)
  fig.suptitle(title, fontsize=10)
  return fig


def latent_scatter(codes, labels, class_names, title: str):
  codes, labels = np.asarray(codes), np.asarray(labels)
  fig, ax = plt.subplots(figsize=(7.5, 6.5))
  cmap = plt.get_cmap("tab10")
  for c, name in enumerate(class_names):
    pts = codes[labels == c]
    ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5, color=cmap(c), label=name)
  ax.legend(markerscale=6, fontsize=8, loc="best")
  ax.set(xlabel="z1", ylabel="z2", title=title)
  return fig


def codes_over_prior(panels: dict, class_names, title: str):
  """One panel per entry {name: (codes [N, 2], labels [N], prior samples [M, 2])}: the prior's
  samples in gray under the codes coloured by label (Makhzani et al.'s Figure 2)."""
  names = list(panels)
  fig, axes = plt.subplots(1, len(names), figsize=(6.2 * len(names), 6), squeeze=False)
  cmap = plt.get_cmap("tab10")
  for ax, name in zip(axes[0], names):
    codes, labels, prior = (np.asarray(a) for a in panels[name])
    ax.scatter(prior[:, 0], prior[:, 1], s=1, color="0.75", alpha=0.5, label="prior samples")
    for c, cname in enumerate(class_names):
      pts = codes[labels == c]
      ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.6, color=cmap(c), label=cname)
    ax.set(xlabel="z1", ylabel="z2", title=name, aspect="equal")
  axes[0, -1].legend(markerscale=6, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
  fig.suptitle(title, fontsize=10)
  return fig


def learning_curves(history: list, metric_names=("loss",), columns: int = 4):
  """One panel per metric name (at most `columns` a row): its train and test values per
  epoch."""
  n = len(metric_names)
  cols = min(n, columns)
  rows = -(-n // cols)
  fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
  epochs = [h["epoch"] for h in history]
  for ax in axes.flat[n:]:
    ax.set_visible(False)
  for key, ax in zip(metric_names, axes.flat):
    for split, marker in (("train", "o-"), ("test", "s-")):
      if history and f"{split}_{key}" in history[0]:
        ax.plot(epochs, [h[f"{split}_{key}"] for h in history], marker, label=split)
    unit = "" if key.startswith(("d_", "disc_updates", "decoder_updates")) or (
        "accuracy" in key) else " (nats per example)"
    ax.set(xlabel="epoch", ylabel=f"{key}{unit}", title=key)
    ax.legend()
    ax.grid(alpha=0.3)
  fig.tight_layout()
  return fig


def retrieval(queries, neighbours, title: str, shape=None):
  """queries [Q, D]; neighbours [Q, k, D]: each row, the query then its nearest codes."""
  queries, neighbours = as_images(queries, shape), as_images(neighbours, shape)
  q, k = neighbours.shape[:2]
  fig, axes = plt.subplots(q, k + 1, figsize=(1.1 * (k + 1), 1.15 * q), squeeze=False)
  for i in range(q):
    for j in range(k + 1):
      show(axes[i, j], queries[i] if j == 0 else neighbours[i, j - 1])
      axes[i, j].set_xticks([])
      axes[i, j].set_yticks([])
      if j == 0:
        for spine in axes[i, j].spines.values():
          spine.set_color("tab:red")
          spine.set_linewidth(2)
  axes[0, 0].set_title("query", fontsize=8)
  for j in range(1, k + 1):
    axes[0, j].set_title(f"#{j}", fontsize=8)
  fig.suptitle(title, fontsize=10)
  return fig


def mosaic(images, pad: int = 2, shape=None) -> np.ndarray:
  """images [R, C, D] -> one [R (H + pad) - pad, C (W + pad) - pad, channels] array of tiles,
  with gaps of 1 (white)."""
  images = as_images(images, shape)
  r, c, h, w, ch = images.shape
  out = np.ones((r * (h + pad) - pad, c * (w + pad) - pad, ch), np.float32)
  for i in range(r):
    for j in range(c):
      out[i * (h + pad):i * (h + pad) + h, j * (w + pad):j * (w + pad) + w] = images[i, j]
  return out


def image_grid(images, title: str, row_labels=None, col_labels=None, cell: float = 0.75,
               shape=None):
  """images [R, C, D] in [0, 1] as an R x C grid of images of `shape`, labelled at the margins
  (one imshow of a mosaic: fast even for hundreds of images)."""
  r, c = np.shape(images)[:2]
  h, w, _ = image_shape(np.shape(images)[-1], shape)
  fig, ax = plt.subplots(figsize=(cell * c * w / h + 1.2, cell * r + 0.6))
  show(ax, mosaic(images, shape=shape))
  centres = lambda n, size: [k * (size + 2) + (size - 1) / 2 for k in range(n)]
  ax.set_yticks(centres(r, h) if row_labels is not None else [])
  if row_labels is not None:
    ax.set_yticklabels(row_labels, fontsize=7)
  ax.set_xticks(centres(c, w) if col_labels is not None else [])
  if col_labels is not None:
    ax.xaxis.tick_top()
    ax.set_xticklabels(col_labels, fontsize=7, rotation=45 if max(map(len, col_labels)) > 4 else 0,
                       ha="left" if max(map(len, col_labels)) > 4 else "center")
  ax.tick_params(length=0)
  for spine in ax.spines.values():
    spine.set_visible(False)
  ax.set_title(title, fontsize=10, pad=28 if col_labels is not None else 6)
  return fig


def manifold_panels(panels: dict, title: str, shape=None):
  """One square image per panel: each value is a [n, n, D] grid of decoded images, shown as a
  mosaic without gaps (rows: z2 from high to low; columns: z1 from low to high)."""
  names = list(panels)
  cols = min(5, len(names))
  rows = -(-len(names) // cols)
  size = 6.0 if len(names) == 1 else 3.2
  fig, axes = plt.subplots(rows, cols, figsize=(size * cols, (size + 0.2) * rows), squeeze=False)
  for ax in axes.ravel():
    ax.axis("off")
  for ax, name in zip(axes.ravel(), names):
    grid = as_images(panels[name], shape)
    n, _, h, w, ch = grid.shape
    show(ax, grid.transpose(0, 2, 1, 3, 4).reshape(n * h, n * w, ch))
    ax.set_title(name, fontsize=9)
  fig.suptitle(title, fontsize=10)
  return fig


# ----------------------------------------------------------------------------- manifold chapter


def linear_ae_vs_pca(variances, total_variance: float, results: dict):
  """Left: PCA's reconstruction error for every k (the total variance less the top k's) with the
  linear AE's errors on it. Right: the largest principal angle per latent size."""
  variances = np.asarray(variances, np.float64)
  total = float(total_variance)
  ks = np.arange(1, len(variances) + 1)
  fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
  axes[0].plot(ks, total - np.cumsum(variances), "-", label="PCA (remaining variance)")
  sizes = sorted(results, key=int)
  axes[0].plot([int(k) for k in sizes], [results[k]["linear_ae_error"] for k in sizes], "o",
               label="linear AE, trained by " + {"als": "alternating least squares",
                                                     "adam": "Adam"}.get(
                   results[sizes[0]].get("optimizer", "adam"), "gradient steps"))
  axes[0].set(xlabel="latent size k", ylabel="mean squared error per image",
              title="reconstruction error", yscale="log")
  axes[0].legend(loc="upper right")
  axes[1].bar([str(k) for k in sizes], [results[k]["max_principal_angle_deg"] for k in sizes])
  axes[1].set(xlabel="latent size k", ylabel="degrees",
              title="largest principal angle: decoder span vs PCA span")
  for ax in axes:
    ax.grid(alpha=0.3)
  return fig


def embedding_panels(embeddings: dict, labels, class_names, notes: dict):
  """One scatter per method, coloured by label; notes[name] goes under each title."""
  names = list(embeddings)
  cols = 3
  rows = -(-len(names) // cols)
  fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 4.1 * rows), squeeze=False)
  cmap = plt.get_cmap("tab10")
  labels = np.asarray(labels)
  for ax in axes.ravel():
    ax.axis("off")
  for ax, name in zip(axes.ravel(), names):
    e = np.asarray(embeddings[name])
    for c in range(len(class_names)):
      ax.scatter(e[labels == c, 0], e[labels == c, 1], s=2, alpha=0.6, color=cmap(c),
                 label=class_names[c])
    ax.set_title(f"{name}\n{notes.get(name, '')}", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
  axes[0, 0].legend(markerscale=5, fontsize=6, loc="best")
  return fig


def nll_histograms(nlls: dict, title: str):
  """Histograms of per-image NLLs (log-spaced bins) for each kind of image."""
  fig, ax = plt.subplots(figsize=(8, 3.8))
  values = {k: np.asarray(v, np.float64) for k, v in nlls.items()}
  low = max(1.0, min(v.min() for v in values.values()))
  bins = np.geomspace(low, max(v.max() for v in values.values()) * 1.05, 60)
  for name, v in values.items():
    ax.hist(v, bins=bins, alpha=0.6, label=f"{name} (median {np.median(v):.0f})")
  ax.set(xscale="log", xlabel="-log p(x), nats (importance-sampled)", ylabel="images",
         title=title)
  ax.legend(fontsize=8)
  return fig


def bandwidth_curve(sigmas, means, chosen: float, title: str):
  fig, ax = plt.subplots(figsize=(6, 3.8))
  ax.semilogx(sigmas, means, "o-")
  ax.axvline(chosen, color="tab:red", ls=":", label=f"chosen sigma = {chosen:.3g}")
  ax.set(xlabel="sigma", ylabel="mean held-out log p_hat (nats)", title=title)
  ax.legend()
  ax.grid(alpha=0.3, which="both")
  return fig


def throughput(cases: list, sides: list = ("ours", "reference")):
  """Examples/s against batch size (log-log) of each side the benchmark ran: ours (per compute
  dtype) with circles, the PyTorch reference (per mode) with squares."""
  fig, ax = plt.subplots(figsize=(5.5, 3.8))
  sizes = [c["batch_size"] for c in cases]
  for side in sides:
    ours = side.startswith("ours")
    label = side.replace("ours", "ae (JAX)" if ours else "", 1).replace(
        "reference", "PyTorch reference", 1).replace("_", " ").strip()
    if all(f"{side}_examples_per_s" in c for c in cases):
      ax.plot(sizes, [c[f"{side}_examples_per_s"] for c in cases], marker="o" if ours else "s",
              linestyle="-" if ours else "--", label=label)
  ax.set_xscale("log", base=2)
  ax.set_yscale("log")
  ax.set_xticks(sizes, [str(s) for s in sizes])
  ax.set_xlabel("batch size")
  ax.set_ylabel("training examples / s")
  ax.set_title("the reference VAE (784-400-20), side by side")
  ax.grid(True, which="both", alpha=0.3)
  ax.legend()
  return fig
