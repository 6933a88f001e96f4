"""Stage A's cutout as stored bytes (npz: RGBA, valid mask, head geometry and metadata as JSON) and as the PNG
clients download. Stage B reads the npz back and never needs a model."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from idphoto.errors import InvalidImageError
from idphoto.types import Cutout, HeadGeometry


def cutout_to_bytes(cutout: Cutout) -> bytes:
    info = {"head": cutout.head.to_dict(), "face_count": cutout.face_count,
            "source_size": list(cutout.source_size), "roll_corrected_deg": cutout.roll_corrected_deg,
            "meta": cutout.meta}
    buf = io.BytesIO()
    np.savez_compressed(buf, rgba=cutout.rgba, valid=np.packbits(cutout.valid),
                        valid_shape=np.array(cutout.valid.shape), info=np.frombuffer(json.dumps(info).encode(),
                                                                                     dtype=np.uint8))
    return buf.getvalue()


def cutout_from_bytes(data: bytes) -> Cutout:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            rgba = npz["rgba"]
            shape = tuple(int(v) for v in npz["valid_shape"])
            valid = np.unpackbits(npz["valid"])[: shape[0] * shape[1]].reshape(shape).astype(bool)
            info = json.loads(npz["info"].tobytes().decode())
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidImageError(f"stored cutout is unreadable: {exc}") from exc
    return Cutout(rgba=rgba, valid=valid, head=HeadGeometry.from_dict(info["head"]),
                  face_count=int(info["face_count"]), source_size=tuple(info["source_size"]),
                  roll_corrected_deg=float(info["roll_corrected_deg"]), meta=info.get("meta", {}))


def cutout_png(cutout: Cutout) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(cutout.rgba, mode="RGBA").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
