from os import PathLike
from typing import Any, Callable, Iterable, Optional, Sequence, TypedDict

import numpy as np
import numpy.typing as npt

__version__: str

class Error(RuntimeError): ...

class Detection(TypedDict, total=False):
    # "class" is a keyword in Python: read it as d["class"].
    box: list[float]
    score: float
    corners: list[list[float]]
    model: str
    found_by: list[dict]

Image = npt.NDArray[np.uint8]

class Detector:
    def __init__(self, *, targets: Sequence[str] | str = ..., face_threshold: Optional[float] = ...,
                 plate_threshold: Optional[float] = ..., face_models: Optional[Sequence[str]] = ...,
                 plate_models: Optional[Sequence[str]] = ..., allow_noncommercial: bool = ..., threads: int = ...,
                 model_dir: Optional[str | PathLike] = ..., offline: bool = ...) -> None: ...
    def detect(self, image: Image) -> list[dict[str, Any]]: ...

def detect(image: Image, **options: Any) -> list[dict[str, Any]]: ...
def redact(image: Image, detections: Iterable[dict[str, Any]], *, mode: str = ..., shape: str = ...,
           mask_scale: float = ..., plate_mask_scale: float = ..., fill_color: tuple[int, int, int] = ...,
           block_size: int = ...) -> Image: ...
def anonymize(src: str | PathLike, dst: str | PathLike,
              progress: Optional[Callable[[dict[str, Any]], None]] | bool = ..., **options: Any) -> dict[str, Any]: ...
def read_image(path: str | PathLike) -> Image: ...
