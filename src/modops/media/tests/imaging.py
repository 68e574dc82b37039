"""Synthetic test images with enough structure for a high PDQ quality."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw


def structured_image(seed: int, size: tuple[int, int] = (400, 300)) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    x = np.linspace(0, 1, width)[None, :]
    y = np.linspace(0, 1, height)[:, None]
    angle = rng.uniform(0, np.pi)
    base = np.cos(angle) * x + np.sin(angle) * y
    channels = [(base * rng.uniform(80, 200) + rng.uniform(0, 50) + np.zeros((height, width))) for _ in range(3)]
    array = np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)
    image = Image.fromarray(array, "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, x1 = sorted(rng.integers(0, width, 2).tolist())
        y0, y1 = sorted(rng.integers(0, height, 2).tolist())
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1 + 5, y1 + 5), fill=colour)
        else:
            draw.rectangle((x0, y0, x1 + 5, y1 + 5), fill=colour)
    noise = rng.normal(0, 6, (height, width, 3))
    noisy = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(noisy, "RGB")


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def animated_gif(seed: int, frames: int = 24, frame_ms: int = 125) -> bytes:
    base = structured_image(seed, (160, 120))
    array = np.asarray(base)
    images = [Image.fromarray(np.roll(array, 2 * i, axis=1)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    return buffer.getvalue()
