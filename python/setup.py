"""Builds veil._veil (pybind11, Debian's pybind11-dev) against the libveil
that scripts/setup.sh built, and carries libveil and ONNX Runtime's library
inside the package so that it needs nothing of the build tree afterwards.
VEIL_BUILD_DIR names another build folder (default: ../build)."""
import os
import pathlib
import shutil
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = pathlib.Path(os.environ.get("VEIL_BUILD_DIR", ROOT / "build")).resolve()


def libveil():
    lib = BUILD / "libveil.so"
    if not lib.exists():
        sys.exit(f"veil: {lib} is missing: run scripts/setup.sh first (it builds libveil), "
                 "or set VEIL_BUILD_DIR to a build folder made with -DVEIL_SHARED=ON")
    return lib


def onnxruntime_library():
    """The ONNX Runtime library libveil was linked with, from the CMake cache."""
    cache = (BUILD / "CMakeCache.txt").read_text()
    for line in cache.splitlines():
        if line.startswith("ONNXRUNTIME_LIBRARY:"):
            return pathlib.Path(line.split("=", 1)[1]).resolve()
    return None


class BuildWithLibraries(build_ext):
    """Copies libveil (and a non-system ONNX Runtime) beside the module, which
    finds them there ($ORIGIN)."""

    def run(self):
        super().run()
        target = pathlib.Path(self.build_lib) / "veil"
        if self.inplace:
            target = HERE / "veil"
        target.mkdir(parents=True, exist_ok=True)
        real = libveil().resolve()
        shutil.copy2(real, target / "libveil.so.0")
        ort = onnxruntime_library()
        if ort and not str(ort).startswith("/usr/"):
            shutil.copy2(ort, target / "libonnxruntime.so.1")


extension = Extension(
    "veil._veil",
    sources=["src/veil_module.cpp"],
    include_dirs=[str(ROOT / "include"), "/usr/include/pybind11", sysconfig.get_paths()["include"]],
    library_dirs=[str(BUILD)],
    libraries=["veil"],
    runtime_library_dirs=["$ORIGIN"],
    extra_compile_args=["-std=c++20", "-O2", "-fvisibility=hidden"],
    language="c++",
)

setup(ext_modules=[extension], cmdclass={"build_ext": BuildWithLibraries})
