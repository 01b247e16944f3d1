"""The frozen bundle's size, start-up and self-test, against the installer's targets.

    python bench/bundle.py                          # dist/ddj-desktop (frozen first with build.spec if missing)
    python bench/bundle.py --dist PATH --runs 5     # another bundle folder; cold-start runs (median printed)
    python bench/bundle.py --json                   # one JSON object

Printed beside their targets:
  unpacked     the bundle folder's size (bytes of its files; a link counts as nothing)           < 200 MB
  zip          the folder as a zip (deflate level 9), the Windows download's shape: links kept as  < 80 MB
               links, but ddj-desktop-gui stored as the program (on Windows it is a second program)
  tar.gz       the folder as a tar.gz (gzip level 9), the Linux download                           < 80 MB
  start        launching the frozen program until the unlock dialog is up (it reopens the store    < 2 s
               it used last; `--quit-after-start` prints and quits once the first screen shows),
               median of --runs; the first run is printed apart. The OS file cache cannot be dropped
               here (no privileges, and other work shares the machine), so every run after the build is
               a warm start: a laptop's first start after boot reads the files from disk and is slower.
  self-test    `ddj-desktop --self-test`, the check a county IT person runs after installing (wall time)
  --lzma MB    the Windows-shaped folder as one solid LZMA stream (an NSIS installer's payload)      < 80 MB
MB here is 1,000,000 bytes (MiB in brackets). The unlock-screen start needs a Linux/BSD desktop's settings
location (XDG_CONFIG_HOME); elsewhere the first screen is the welcome dialog, and that is what is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIST = ROOT / "dist" / "ddj-desktop"
TARGET_UNPACKED_MB = 200
TARGET_DOWNLOAD_MB = 80
TARGET_START_S = 2.0
PASSPHRASE = "bench bundle passphrase"
MB = 1_000_000
MIB = 1 << 20


def folder_size(folder: Path) -> int:
    """Bytes of the regular files under `folder`; links are not followed (they cost a directory entry)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def zip_size(folder: Path, out: Path) -> int:
    """The folder as a zip, the shape of a Windows download. Links are stored as links (as `zip -y` does: on Windows
    PyInstaller copies nothing twice), except a link to a program (ddj-desktop-gui), stored as the program: on
    Windows that is a second program of the same size."""
    programs = {"ddj-desktop-gui"}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(folder.rglob("*")):
            name = str(Path(folder.name) / path.relative_to(folder))
            if path.is_symlink() and path.name not in programs:
                link = zipfile.ZipInfo(name)
                link.create_system = 3  # Unix: the mode below says "link"
                link.external_attr = 0o120777 << 16
                archive.writestr(link, os.readlink(path))
            elif path.is_file():
                archive.write(path, name)
    return out.stat().st_size


def tar_gz_size(folder: Path, out: Path) -> int:
    """The folder as a tar.gz (links kept as links), as the Linux download is made."""
    with tarfile.open(out, "w:gz", compresslevel=9) as archive:
        archive.add(folder, arcname=folder.name)
    return out.stat().st_size


def lzma_size(folder: Path, dict_mb: int) -> int:
    """Bytes of the folder (Windows-shaped, as zip_size: ddj-desktop-gui as a second program) compressed as one
    solid LZMA stream with a `dict_mb` MB dictionary: an estimate of an NSIS installer made with
    `SetCompressor /SOLID lzma` (NSIS's default dictionary is 8 MB; `SetCompressorDictSize` changes it)."""
    import io
    import lzma

    class Counter(io.RawIOBase):
        def __init__(self) -> None:
            self.count = 0
            self.packer = lzma.LZMACompressor(format=lzma.FORMAT_RAW, filters=[
                {"id": lzma.FILTER_LZMA1, "preset": 6, "dict_size": dict_mb * MIB}])

        def writable(self) -> bool:
            return True

        def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
            self.count += len(self.packer.compress(bytes(data)))
            return len(data)

    sink = Counter()
    with tarfile.open(fileobj=sink, mode="w|") as archive:  # type: ignore[call-overload]
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=str(Path(folder.name) / path.relative_to(folder)), recursive=False)
    sink.count += len(sink.packer.flush())
    return sink.count


def program(dist: Path) -> Path:
    exe = dist / ("ddj-desktop.exe" if sys.platform == "win32" else "ddj-desktop")
    if not exe.is_file():
        raise SystemExit(f"{exe} is missing: is {dist} a bundle folder made by build.spec?")
    return exe


def build(dist: Path) -> None:
    """Freeze with build.spec into dist's parent (a few minutes)."""
    print(f"{dist} is missing: freezing with build.spec (a few minutes)...", file=sys.stderr, flush=True)
    pyinstaller = Path(sys.executable).parent / ("pyinstaller.exe" if sys.platform == "win32" else "pyinstaller")
    subprocess.run([str(pyinstaller), "--noconfirm", "--log-level", "WARN", "--distpath", str(dist.parent),
                    "--workpath", str(ROOT / "build"), str(ROOT / "build.spec")], cwd=ROOT, check=True)
    if not dist.is_dir():
        raise SystemExit(f"build.spec did not make {dist} (it names its folder ddj-desktop).")


def start_environment(exe: Path, home: Path) -> tuple[dict[str, str], str]:
    """An environment of its own (settings, logs) in which the program reopens a store made for the bench:
    its first screen is then the unlock dialog. Returns the environment and the screen expected."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
           "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    if sys.platform in ("win32", "darwin"):
        return env, "WelcomeDialog"  # settings live in the registry / CFPreferences: not redirected here
    store = home / "bench.ddj"
    subprocess.run([str(exe), "init", str(store), "--user", "bench"], env={**env, "DDJ_PASSPHRASE": PASSPHRASE},
                   check=True, capture_output=True, text=True)
    conf = home / "config" / "DDJ Desktop" / "DDJ Desktop.conf"  # QSettings("DDJ Desktop", "DDJ Desktop")
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(f"[store]\nlast={store}\n", encoding="utf-8")
    return env, "UnlockDialog"


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far; 0 where the OS does not say."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_start(exe: Path, env: dict[str, str], expected: str) -> tuple[float, float]:
    """Seconds from launching the program to its line saying the first screen is up (checked to be `expected`),
    and the CPU seconds the whole run took (to the end of its exit: wall time on a shared machine says as much
    about the neighbours as about the program)."""
    cpu = children_cpu()
    started = time.perf_counter()
    child = subprocess.Popen([str(exe), "--quit-after-start"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    seen = None
    for line in child.stdout:
        if line.startswith("start-to-screen"):
            seen = time.perf_counter() - started
            screen = line.strip().rsplit("(", 1)[-1].rstrip(")")
            if screen != expected:
                child.kill()
                raise SystemExit(f"the first screen was {screen}, not {expected}: {line.strip()}")
            break
    _, err = child.communicate(timeout=60)
    if seen is None or child.returncode != 0:
        raise SystemExit(f"the frozen program did not report its first screen (exit {child.returncode}):\n{err}")
    return seen, children_cpu() - cpu


def time_self_test(exe: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([str(exe), "--self-test"], env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0:
        raise SystemExit(f"the frozen self-test failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return wall, last


def measure(dist: Path, runs: int, self_test: bool, lzma_dicts: list[int]) -> dict[str, object]:
    exe = program(dist)
    results: dict[str, object] = {"bundle": str(dist)}
    results["unpacked_bytes"] = folder_size(dist)
    for dict_mb in lzma_dicts:
        results[f"lzma_{dict_mb}mb_bytes"] = lzma_size(dist, dict_mb)
    with tempfile.TemporaryDirectory(prefix="ddj-bench-bundle-") as scratch:
        results["zip_bytes"] = zip_size(dist, Path(scratch) / "bundle.zip")
        results["tar_gz_bytes"] = tar_gz_size(dist, Path(scratch) / "bundle.tar.gz")
    with tempfile.TemporaryDirectory(prefix="ddj-bench-start-") as home:
        env, expected = start_environment(exe, Path(home))
        runs_done = [time_start(exe, env, expected) for _ in range(runs)]
        times = [wall for wall, _ in runs_done]
        results["start_cpu_median_s"] = round(statistics.median(cpu for _, cpu in runs_done), 3)
        results["start_screen"] = expected
        results["start_first_s"] = round(times[0], 3)
        results["start_median_s"] = round(statistics.median(times), 3)
        results["start_runs_s"] = [round(t, 3) for t in times]
        if self_test:
            wall, line = time_self_test(exe, env)
            results["self_test_s"] = round(wall, 1)
            results["self_test_says"] = line
    return results


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def report(r: dict[str, object]) -> None:
    def size(key: str, target: int) -> str:
        n = int(r[key])  # type: ignore[call-overload]
        return f"{n / MB:7.1f} MB ({n / MIB:6.1f} MiB)   target < {target} MB   {verdict(n < target * MB)}"

    print(f"bundle      {r['bundle']}")
    print(f"unpacked    {size('unpacked_bytes', TARGET_UNPACKED_MB)}")
    print(f"zip         {size('zip_bytes', TARGET_DOWNLOAD_MB)}")
    print(f"tar.gz      {size('tar_gz_bytes', TARGET_DOWNLOAD_MB)}")
    for key in sorted(k for k in r if k.startswith("lzma_")):
        print(f"LZMA {key.split('_')[1][:-2]:>2} MB {size(key, TARGET_DOWNLOAD_MB)}   (an NSIS /SOLID lzma estimate)")
    median = float(r["start_median_s"])  # type: ignore[arg-type]
    runs = ", ".join(f"{t:.2f}" for t in r["start_runs_s"])  # type: ignore[attr-defined]
    print(f"start       {median:7.2f} s median to the {r['start_screen']} (warm file cache; runs: {runs})   "
          f"target < {TARGET_START_S:g} s   {verdict(median < TARGET_START_S)}")
    print(f"            {float(r['start_cpu_median_s']):7.2f} s CPU median for a whole run (start, screen, exit)")  # type: ignore[arg-type]
    if "self_test_s" in r:
        print(f"self-test   {float(r['self_test_s']):7.1f} s wall   ({r['self_test_says']})")  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=Path, default=DEFAULT_DIST,
                        help="the bundle folder (default dist/ddj-desktop; frozen with build.spec if missing)")
    parser.add_argument("--runs", type=int, default=5, help="start-up runs (median printed; default 5)")
    parser.add_argument("--no-self-test", action="store_true", help="skip the self-test run (about 25 s)")
    parser.add_argument("--lzma", type=int, action="append", default=[], metavar="MB",
                        help="also the Windows-shaped folder as one solid LZMA stream with an MB-megabyte dictionary "
                        "(an NSIS installer's download; repeatable; a minute or more each)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    dist = args.dist.resolve()
    if not dist.is_dir():
        if args.dist != DEFAULT_DIST:
            raise SystemExit(f"{dist} is not a folder.")
        build(dist)
    results = measure(dist, max(1, args.runs), not args.no_self_test, args.lzma)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
