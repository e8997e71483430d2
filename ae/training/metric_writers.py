"""One metric writer with the clu face, `write_scalars(step, {name: value})`, that feeds
metrics.jsonl, TensorBoard and the progress line at once.

  JsonlWriter        one JSON object per call, appended and synced (the run's record)
  TensorBoardWriter  scalar and image summaries through tensorboard's own event writer (without
                     importing TensorFlow)
  ProgressWriter     tqdm on a terminal, one plain line per epoch otherwise
  MultiWriter        all of the above behind the one face
"""

import io
import sys
import time
import types
from typing import Sequence

import numpy as np

from ae import io as ae_io

NOT_SCALARS = ("epoch", "step", "num_devices")   # Counters in a row, not curves.


class MetricWriter:
  def write_scalars(self, step: int, scalars: dict) -> None:
    raise NotImplementedError

  def write_images(self, step: int, images: dict) -> None:
    """images: {name: float array [H, W], [H, W, 1] or [H, W, 3] in [0, 1]}."""
    del step, images

  def flush(self) -> None:
    pass

  def close(self) -> None:
    self.flush()


class JsonlWriter(MetricWriter):
  def __init__(self, path: str):
    self.path = path

  def write_scalars(self, step, scalars):
    del step
    ae_io.append_line(self.path, ae_io.dumps(scalars))


def _tensorboard_without_tensorflow() -> None:
  """TensorBoard's `compat.tf` imports TensorFlow when it is installed (about 3 s of start-up
  here) only to write files; a module named `tensorboard.compat.notf` is its documented switch
  to the stub it ships, which writes the same event files. Local paths need nothing more."""
  sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


class TensorBoardWriter(MetricWriter):
  def __init__(self, logdir: str):
    _tensorboard_without_tensorflow()
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    self._writer = EventFileWriter(logdir)

  def _add(self, step, values):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(**v) for v in values])
    self._writer.add_event(event_pb2.Event(wall_time=time.time(), step=int(step),
                                           summary=summary))

  def write_scalars(self, step, scalars):
    self._add(step, [{"tag": k, "simple_value": float(v)} for k, v in scalars.items()
                     if k not in NOT_SCALARS and isinstance(v, (int, float))])

  def write_images(self, step, images):
    import matplotlib.image
    from tensorboard.compat.proto import summary_pb2
    values = []
    for name, image in images.items():
      image = np.clip(np.asarray(image, np.float32), 0, 1)
      if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]   # grey: imsave takes [H, W] with a colour map, or RGB(A)
      buffer = io.BytesIO()
      matplotlib.image.imsave(buffer, image, cmap="gray", vmin=0, vmax=1, format="png")
      values.append({"tag": name, "image": summary_pb2.Summary.Image(
          height=image.shape[0], width=image.shape[1], colorspace=4,
          encoded_image_string=buffer.getvalue())})
    self._add(step, values)

  def flush(self):
    self._writer.flush()

  def close(self):
    self._writer.close()


class ProgressWriter(MetricWriter):
  """'epoch 3/10: train loss 251.2, test loss 253.0, 25000 ex/s' for the headline metric."""

  def __init__(self, total: int, initial: int, headline: str = "loss"):
    self.total, self.headline = total, headline
    self._bar = None
    if sys.stderr.isatty():
      from tqdm import tqdm
      self._bar = tqdm(total=total, initial=initial, unit="epoch", dynamic_ncols=True)

  def write_scalars(self, step, scalars):
    h = self.headline
    text = (f"train {h} {scalars[f'train_{h}']:.3f}, test {h} {scalars[f'test_{h}']:.3f}, "
            f"{scalars['train_examples_per_second']:.0f} ex/s")
    if self._bar is not None:
      self._bar.update(1)
      self._bar.set_postfix_str(text)
    else:
      print(f"epoch {step}/{self.total}: {text}", file=sys.stderr, flush=True)

  def close(self):
    if self._bar is not None:
      self._bar.close()


class MultiWriter(MetricWriter):
  def __init__(self, writers: Sequence[MetricWriter]):
    self.writers = list(writers)

  def write_scalars(self, step, scalars):
    for w in self.writers:
      w.write_scalars(step, scalars)

  def write_images(self, step, images):
    for w in self.writers:
      w.write_images(step, images)

  def flush(self):
    for w in self.writers:
      w.flush()

  def close(self):
    for w in self.writers:
      w.close()
