"""Raw numpy arrays <-> ``idphoto.v1.Tensor`` (C order, little-endian; bool is one byte per element)."""

from __future__ import annotations

import math

import numpy as np

from idphoto.errors import InvalidImageError, InvalidOptionError
from idphoto.v1 import common_pb2

DTYPES = {"uint8": np.dtype("u1"), "float32": np.dtype("<f4"), "bool": np.dtype("u1")}


def to_tensor(array: np.ndarray) -> common_pb2.Tensor:
    """Encode a uint8, float32 or bool array."""
    array = np.asarray(array)
    name = array.dtype.name
    if name not in DTYPES:
        raise InvalidOptionError(f"tensor dtype must be uint8, float32 or bool, not {name}", dtype=name)
    data = np.ascontiguousarray(array, dtype=DTYPES[name]).tobytes()
    return common_pb2.Tensor(shape=list(array.shape), dtype=name, data=data)


def from_tensor(tensor: common_pb2.Tensor) -> np.ndarray:
    """Decode to a fresh, writable array; shape, dtype and data length are checked."""
    dtype = DTYPES.get(tensor.dtype)
    if dtype is None:
        raise InvalidOptionError(f"tensor dtype must be uint8, float32 or bool, not {tensor.dtype!r}",
                                 dtype=tensor.dtype)
    shape = tuple(int(n) for n in tensor.shape)
    if not shape or any(n < 0 for n in shape):
        raise InvalidOptionError(f"tensor shape {list(shape)} is invalid", shape=list(shape))
    expected = math.prod(shape) * dtype.itemsize
    if len(tensor.data) != expected:
        raise InvalidOptionError(f"tensor of shape {list(shape)} and dtype {tensor.dtype} needs {expected} bytes, "
                                 f"got {len(tensor.data)}", shape=list(shape), dtype=tensor.dtype,
                                 bytes=len(tensor.data))
    array = np.frombuffer(tensor.data, dtype=dtype).reshape(shape)
    if tensor.dtype == "bool":
        return array != 0
    return array.astype(dtype.newbyteorder("="), copy=True)


def rgb_from_tensor(tensor: common_pb2.Tensor, field: str = "image") -> np.ndarray:
    """An HxWx3 uint8 RGB image (InvalidImageError when the tensor is anything else)."""
    if not tensor.shape and not tensor.data:
        raise InvalidImageError(f"{field} is missing", field=field)
    rgb = from_tensor(tensor)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise InvalidImageError(f"{field} must be an HxWx3 uint8 RGB tensor, got {tensor.dtype} "
                                f"{list(rgb.shape)}", field=field, shape=list(rgb.shape), dtype=tensor.dtype)
    return rgb
