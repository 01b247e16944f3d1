"""Linkage speed and memory as the county grows: records -> link seconds (reading from and writing to the
store included) and peak memory, at 100k / 300k / 1M records by default.

    python bench/linkage_scale.py [--records 100000 300000 1000000] [--seed 1]

Each county comes from the sample-county generator (about 5.5 rows per person), is imported with the product's
importer, and is linked by `Workspace.link` in a fresh process (so peak memory is the link's own).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from linkage_quality import PASSPHRASE, county  # noqa: E402

ROWS_PER_PERSON = 5.5  # measured: 20,000 people give 109,733 records, 136,986 give 756,753


def link_once(store: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from ddj_desktop.workspace import Workspace

    ws = Workspace.open(store, PASSPHRASE)
    started = time.perf_counter()
    summary = ws.link()
    seconds = time.perf_counter() - started
    ws.close()
    print(json.dumps({"seconds": seconds, "records": summary.records, "profiles": summary.profiles,
                      "candidates": summary.candidate_pairs, "timings": summary.timings,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--link-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.link_only:
        link_once(Path(args.link_only))
        return
    print(f"{'records':>9} {'profiles':>9} {'candidates':>11} {'link s':>7} {'peak MB':>8}  stages")
    for target in args.records:
        with tempfile.TemporaryDirectory(prefix="ddj-linkage-scale-", dir="/tmp") as scratch:
            store, _truth = county(int(target / ROWS_PER_PERSON), args.seed, Path(scratch))
            out = subprocess.run([sys.executable, __file__, "--link-only", str(store)], check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{r['records']:>9} {r['profiles']:>9} {r['candidates']:>11} {r['seconds']:>7.1f} "
                  f"{r['peak_mb']:>8.0f}  {r['timings']}", flush=True)


if __name__ == "__main__":
    main()
