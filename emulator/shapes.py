"""Pure helpers for the v1 answer shapes: shortcodes and CDN image and video versions."""

from __future__ import annotations

SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CDN = "https://scontent.cdninstagram.com"


def shortcode(n: int) -> str:
    chars = []
    while n:
        n, digit = divmod(n, 64)
        chars.append(SHORTCODE_ALPHABET[digit])
    return "".join(reversed(chars)) or "A"


def image_versions(n: int, position: int) -> dict:
    return {
        name: {
            "url": f"{CDN}/t51.2885-15/s{size}x{size}/e35/{n}_{position}_{suffix}.jpg",
            "width": size,
            "height": size,
        }
        for name, size, suffix in (
            ("thumbnail", 150, "s"),
            ("low_resolution", 320, "a"),
            ("standard_resolution", 640, "n"),
        )
    }


def video_versions(n: int, position: int) -> dict:
    return {
        name: {"url": f"{CDN}/t50.2886-16/{n}_{position}_{suffix}.mp4", "width": size, "height": size}
        for name, size, suffix in (
            ("low_resolution", 480, "lr"),
            ("standard_resolution", 640, "sr"),
            ("low_bandwidth", 480, "lb"),
        )
    }
