import numpy as np
import pytest

from idphoto.errors import InvalidImageError, InvalidOptionError
from idphoto.rpc.tensor import from_tensor, rgb_from_tensor, to_tensor
from idphoto.v1 import common_pb2


@pytest.mark.parametrize("array", [
    np.arange(24, dtype=np.uint8).reshape(2, 4, 3),
    np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4),
    np.array([[True, False, True], [False, False, True]]),
    np.zeros((0, 3), np.uint8),
])
def test_round_trip_keeps_dtype_shape_and_values(array):
    tensor = to_tensor(array)
    assert list(tensor.shape) == list(array.shape) and tensor.dtype == array.dtype.name
    back = from_tensor(common_pb2.Tensor.FromString(tensor.SerializeToString()))
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_non_contiguous_and_big_endian_input_is_encoded_in_c_order_little_endian():
    base = np.arange(30, dtype=np.float32).reshape(5, 6)
    view = base[:, ::2].astype(">f4")
    tensor = to_tensor(view)
    assert tensor.data == np.ascontiguousarray(base[:, ::2], dtype="<f4").tobytes()
    np.testing.assert_array_equal(from_tensor(tensor), base[:, ::2])


def test_bool_is_one_byte_per_element():
    assert to_tensor(np.array([True, False])).data == b"\x01\x00"


def test_length_mismatch_and_bad_dtype_are_invalid_option():
    with pytest.raises(InvalidOptionError) as short:
        from_tensor(common_pb2.Tensor(shape=[2, 2], dtype="float32", data=b"\x00" * 15))
    assert short.value.details["bytes"] == 15
    with pytest.raises(InvalidOptionError):
        from_tensor(common_pb2.Tensor(shape=[1], dtype="float64", data=b"\x00" * 8))
    with pytest.raises(InvalidOptionError):
        from_tensor(common_pb2.Tensor(shape=[-1], dtype="uint8", data=b""))
    with pytest.raises(InvalidOptionError):
        to_tensor(np.zeros(3, np.int64))


def test_rgb_from_tensor_wants_hxwx3_uint8():
    rgb = np.full((4, 5, 3), 7, np.uint8)
    np.testing.assert_array_equal(rgb_from_tensor(to_tensor(rgb)), rgb)
    for bad in (np.zeros((4, 5), np.uint8), np.zeros((4, 5, 4), np.uint8), np.zeros((4, 5, 3), np.float32),
                np.zeros((0, 5, 3), np.uint8)):
        with pytest.raises(InvalidImageError):
            rgb_from_tensor(to_tensor(bad))
    with pytest.raises(InvalidImageError, match="image is missing"):
        rgb_from_tensor(common_pb2.Tensor())
