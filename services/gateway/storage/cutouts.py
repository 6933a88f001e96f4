"""Stage A's cutout as stored files: the RGBA PNG clients download (it is also the stored pixels) and a small
npz with the valid mask, head geometry and metadata. Stage B reads both back and never needs a model."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np

from idphoto.domain.types import Cutout, HeadGeometry
from idphoto.errors import InvalidImageError

PNG_FAST = [cv2.IMWRITE_PNG_COMPRESSION, 1]      # lossless either way; level 1 is several times faster than 6


def cutout_png(cutout: Cutout) -> bytes:
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(cutout.rgba, cv2.COLOR_RGBA2BGRA), PNG_FAST)
    if not ok:
        raise InvalidImageError("the cutout could not be encoded")
    return encoded.tobytes()


def cutout_state(cutout: Cutout) -> bytes:
    info = {"head": cutout.head.to_dict(), "face_count": cutout.face_count,
            "source_size": list(cutout.source_size), "roll_corrected_deg": cutout.roll_corrected_deg,
            "meta": cutout.meta}
    buf = io.BytesIO()
    np.savez_compressed(buf, valid=np.packbits(cutout.valid), valid_shape=np.array(cutout.valid.shape),
                        info=np.frombuffer(json.dumps(info).encode(), dtype=np.uint8))
    return buf.getvalue()


def cutout_from_files(png: bytes, state: bytes) -> Cutout:
    try:
        bgra = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
        with np.load(io.BytesIO(state), allow_pickle=False) as npz:
            shape = tuple(int(v) for v in npz["valid_shape"])
            valid = np.unpackbits(npz["valid"])[: shape[0] * shape[1]].reshape(shape).astype(bool)
            info = json.loads(npz["info"].tobytes().decode())
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidImageError(f"stored cutout is unreadable: {exc}") from exc
    if bgra is None or bgra.ndim != 3 or bgra.shape[2] != 4 or bgra.shape[:2] != shape:
        raise InvalidImageError("stored cutout is unreadable: bad PNG")
    return Cutout(rgba=cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA), valid=valid,
                  head=HeadGeometry.from_dict(info["head"]), face_count=int(info["face_count"]),
                  source_size=tuple(info["source_size"]), roll_corrected_deg=float(info["roll_corrected_deg"]),
                  meta=info.get("meta", {}))
