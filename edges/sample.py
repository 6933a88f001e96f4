"""Write the bundled sample portrait: skimage's astronaut (Eileen Collins, NASA, public domain) as a JPEG.

Generated, never committed: `python -m edges.sample out/sample_portrait.jpg [--size 2048]`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
from PIL import Image


def sample_portrait(size: int = 512):
    from skimage import data

    rgb = data.astronaut()
    if size != rgb.shape[0]:
        rgb = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_CUBIC if size > 512 else cv2.INTER_AREA)
    return rgb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sample_portrait(args.size)).save(args.output, quality=95)
    print(f"sample portrait -> {args.output}")


if __name__ == "__main__":
    main()
