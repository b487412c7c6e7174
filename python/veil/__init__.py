"""Veil: find and hide faces and licence plates in pictures, videos and
folders, locally or on S3, on this machine's CPUs.

    import veil, cv2
    frame = cv2.imread("photo.jpg")                  # HxWx3 uint8, BGR
    found = veil.detect(frame)                       # [{"class": "face", "box": [x, y, w, h], "score": ...}, ...]
    hidden = veil.redact(frame, found)               # a new array; frame is unchanged
    summary = veil.anonymize("s3://raw/clip.mp4", "s3://shareable/clip.mp4")

Every failure raises veil.Error (a RuntimeError) with the message the `veil`
command prints; a wrong kind of array raises TypeError. See docs/python.md.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable, Optional

from . import _veil

__version__: str = _veil.__version__
Error = _veil.Error

__all__ = ["__version__", "Error", "Detector", "detect", "redact", "anonymize", "read_image"]

_DETECTOR_OPTIONS = ("targets", "face_threshold", "plate_threshold", "face_models", "plate_models",
                     "allow_noncommercial", "precision", "threads", "model_dir", "offline")
_STYLE_OPTIONS = ("mode", "shape", "mask_scale", "plate_mask_scale", "fill_color", "block_size")
_JOB_OPTIONS = ("tracking", "sweep", "codec", "crf", "preset", "strip_metadata", "detections", "manifest",
                "s3_path_style")


def _options(given: dict, allowed: Iterable[str], where: str) -> dict:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise TypeError(f"{where}: unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                        f"(known: {', '.join(allowed)})")
    out = dict(given)
    for name in ("targets", "face_models", "plate_models"):
        if isinstance(out.get(name), str):
            out[name] = [out[name]]
    return out


class Detector:
    """Finds faces and licence plates in pictures. The models are loaded once,
    here; detect() may be called from several threads at once (the GIL is
    released while it works).

    Options: targets=("face", "plate"), face_threshold, plate_threshold,
    face_models, plate_models (names from `veil models`; default line-up when
    None), allow_noncommercial=False, precision="auto" (int8 where it keeps
    recall; "int8": faster, for slightly less recall; "float"), threads=0
    (one per core), model_dir (default $VEIL_MODEL_DIR, else the cache), offline=False.
    """

    def __init__(self, **options: Any) -> None:
        self._detector = _veil.Detector(_options(options, _DETECTOR_OPTIONS, "Detector"))

    def detect(self, image) -> list[dict]:
        """The faces and plates in `image` (a numpy HxWx3 uint8 BGR array,
        contiguous or a view), as the detections sidecar lists them: dicts
        with "class", "box" [x, y, width, height], "score", and where known
        "corners" (a plate's outline), "model" and "found_by"."""
        return self._detector.detect(image)


def detect(image, **options: Any) -> list[dict]:
    """detect() of a Detector made for this one call (see Detector). To look
    at many pictures, make one Detector and reuse it: loading takes a second."""
    return Detector(**options).detect(image)


def redact(image, detections: list[dict], **style: Any):
    """A copy of `image` with every detection hidden. Style: mode="blur"
    (pixelate, fill, none), shape="auto" (ellipse, box), mask_scale=1.3,
    plate_mask_scale=1.15, fill_color=(0, 0, 0) as RGB, block_size=0."""
    return _veil.redact(image, list(detections), _options(style, _STYLE_OPTIONS, "redact"))


def _progress_bar() -> Optional[Callable[[dict], None]]:
    """A tqdm bar (the notebook one in Jupyter) when tqdm is installed and
    someone is watching; None otherwise."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    if "ipykernel" not in sys.modules and not sys.stderr.isatty():
        return None
    state: dict = {"bar": None, "file": None}

    def show(p: dict) -> None:
        if p["file"] != state["file"]:
            if state["bar"] is not None:
                state["bar"].close()
            state["bar"] = tqdm(total=p["frames"], desc=p["file"], unit="frame")
            state["file"] = p["file"]
        bar = state["bar"]
        bar.update(p["frame"] - bar.n)

    show.close = lambda: state["bar"] is not None and state["bar"].close()  # type: ignore[attr-defined]
    return show


def anonymize(src: str | os.PathLike, dst: str | os.PathLike, progress: Optional[Callable[[dict], None]] | bool = None,
              **options: Any) -> dict:
    """Anonymizes `src` (a video, an image, a folder of them, an s3:// URL or
    prefix) into `dst`, as `veil anonymize` does, and returns its summary
    ({"files", "frames", "objects": {"face": n, "plate": n}, "boxes", ...,
    "outputs", "failures"}).

    progress: a callable given {"file", "frame", "frames", "files_done"}
    after frames are written; None shows a tqdm bar where tqdm is installed
    and someone watches (a notebook, a terminal); False shows nothing.
    Ctrl-C (KeyboardInterrupt) stops the run within a second and leaves no
    output. Options: those of Detector and redact(), and tracking=True,
    sweep=8, codec="h264", crf, preset="medium", strip_metadata=False,
    detections (a sidecar path or s3:// URL), manifest, s3_path_style=False.
    """
    opts = _options(options, _DETECTOR_OPTIONS + _STYLE_OPTIONS + _JOB_OPTIONS, "anonymize")
    bar = None
    if progress is None:
        progress = bar = _progress_bar()
    elif progress is False:
        progress = None
    try:
        return _veil.anonymize(os.fspath(src), os.fspath(dst), opts, progress)
    finally:
        if bar is not None:
            bar.close()


def read_image(path: str | os.PathLike):
    """A photo (JPEG, PNG, WebP, TIFF, BMP, JPEG 2000; a path or s3:// URL)
    as a numpy HxWx3 uint8 BGR array, read as `veil anonymize` reads it
    (EXIF orientation applied)."""
    return _veil.read_image(os.fspath(path))
