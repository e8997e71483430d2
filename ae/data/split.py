"""The one type of a dataset's split, from loading to the training loop, and what travels with it.

A `Split` holds uint8 images [N, H, W, C] and int32 labels [N] (on the host after loading, on
the devices afterwards), its source (for logs and config.json) and its class names. Its `spec`
is what a model is built from: the image shape and the classes. Nothing downstream assumes a
size, a channel count or a number of classes; they come from here.
"""

from typing import Any, NamedTuple, Optional

import flax.struct
import numpy as np


class Spec(NamedTuple):
  """What a model needs to know about its data: one example's shape ((H, W, C) for images, (D,)
  for vectors such as M1's codes) and the class names (empty when the data is unlabelled)."""
  shape: tuple
  class_names: tuple = ()

  @property
  def num_pixels(self) -> int:
    return int(np.prod(self.shape))

  @property
  def num_classes(self) -> int:
    return len(self.class_names)

  @property
  def is_image(self) -> bool:
    return len(self.shape) == 3

  def to_record(self) -> dict:
    """For config.json: restore_run rebuilds the model from it."""
    return {"image_shape": list(self.shape), "class_names": list(self.class_names)}

  @classmethod
  def from_record(cls, record: dict) -> "Spec":
    """The spec of a config.json; a run recorded before specs existed was 28x28 grey, 10 classes."""
    shape = record.get("image_shape") or (28, 28, 1)
    names = record.get("class_names")
    return cls(tuple(int(s) for s in shape),
               tuple(str(n) for n in (names if names is not None else range(10))))


@flax.struct.dataclass
class Split:
  """One split of a dataset: a pytree of images and labels (numpy or jax), with its source and
  class names (labels are -1 throughout when there are no classes)."""
  images: Any   # uint8 [N, H, W, C]
  labels: Any   # int32 [N]
  source: str = flax.struct.field(pytree_node=False, default="")  # for logs and config.json
  class_names: tuple = flax.struct.field(pytree_node=False, default=())

  @property
  def size(self) -> int:
    return int(self.labels.shape[0])

  @property
  def spec(self) -> Spec:
    return Spec(tuple(int(s) for s in self.images.shape[1:]), tuple(self.class_names))

  def head(self, n: Optional[int]) -> "Split":
    return self if n is None else self.replace(images=self.images[:n], labels=self.labels[:n])


def digit_names(n: int = 10) -> tuple:
  return tuple(str(i) for i in range(n))
