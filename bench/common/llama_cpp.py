"""llama.cpp's side of the side-by-side benches (bench/llm, bench/ggml): node-llama-cpp 3.21.1's
prebuilt libraries, and C++ drivers compiled against them.

The npm package is installed into WORK/npm when it is not there (`npm i -E node-llama-cpp@3.21.1`);
its prebuilt shared libraries pick their CPU variant at run time (ggml_backend_load_all_from_path).
The headers come from the llama.cpp source the package ships (llama/gitRelease.bundle, commit
80fb11ac, the same release as its binaries), cloned into WORK/llama-src.
"""
import shutil
import subprocess
import sys
from pathlib import Path

NODE_LLAMA_CPP = "node-llama-cpp@3.21.1"
ROOT = Path(__file__).resolve().parents[2]


class Install:
    """An installed package: `bins`, the folder of its prebuilt libraries and CPU variants, and
    `source`, the llama.cpp source with the headers."""

    def __init__(self, prefix, source):
        self.prefix, self.source = prefix, source
        self.bins = prefix / "node_modules" / "@node-llama-cpp" / "linux-x64" / "bins" / "linux-x64"

    def compile(self, cpp, out, libs):
        """Compiles the driver `cpp` into `out`, linked to the prebuilt `libs` (file names in
        bins): compile_driver."""
        return compile_driver(cpp, out, self.source, self.bins, libs)


def compile_driver(cpp, out, source, lib_dir, libs):
    """Compiles the driver `cpp` into `out` (again when cpp, a header of bench/common or the dtype table is newer)
    against the headers of the llama.cpp `source`, linked to `libs` (file names in lib_dir) with an
    rpath to lib_dir. The repository's root is on the include path (bench/common/..., and the
    dtype table, vm/core/dtype.h, that bench/common/kernel_timer.h reads)."""
    inputs = [Path(cpp), *(ROOT / "bench" / "common").glob("*.h"), ROOT / "vm/core/dtype.h",
              ROOT / "vm/core/dtype.def"]
    if out.exists() and all(out.stat().st_mtime >= p.stat().st_mtime for p in inputs):
        return out
    subprocess.run(["g++", "-O2", "-std=c++17", "-I", str(ROOT), "-I", str(source / "include"),
                    "-I", str(source / "ggml" / "include"), str(cpp), "-o", str(out),
                    *(str(Path(lib_dir) / lib) for lib in libs), f"-Wl,-rpath,{lib_dir}"],
                   check=True)
    return out


def install(work, reuse=None, who="bench"):
    """The package and source in `work` (installed there when missing), or, with `reuse`, those of
    another build folder (its npm/ and llama-src/, read only: nothing is written there)."""
    base = Path(reuse) if reuse else Path(work)
    prefix, source = base / "npm", base / "llama-src"
    package = prefix / "node_modules" / "node-llama-cpp"
    if not (package / "package.json").exists():
        if reuse:
            sys.exit(f"{who}: no {NODE_LLAMA_CPP} in {prefix}")
        if not shutil.which("npm"):
            sys.exit(f"{who}: npm is not installed (apt-get install npm)")
        prefix.mkdir(parents=True, exist_ok=True)
        print(f"# npm i -E {NODE_LLAMA_CPP} in {prefix}", flush=True)
        subprocess.run(["npm", "i", "-E", "--no-audit", "--no-fund", "--prefix", str(prefix),
                        NODE_LLAMA_CPP], check=True, stdout=subprocess.DEVNULL)
    result = Install(prefix, source)
    if not (result.bins / "libggml.v0.4.0.so").exists():
        sys.exit(f"{who}: no prebuilt libggml in {result.bins}")
    if not (source / "include" / "llama.h").exists():
        if reuse:
            sys.exit(f"{who}: no llama.cpp source in {source}")
        subprocess.run(["git", "-c", "advice.detachedHead=false", "clone", "-q",
                        str(package / "llama" / "gitRelease.bundle"), str(source)], check=True)
    return result
