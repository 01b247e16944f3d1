"""Fuzz the import: readers, table finding, mapping and normalizers, and the store write, for N seconds.

    python bench/fuzz_import.py --seconds 600             # a ten-minute campaign over every kind of input
    python bench/fuzz_import.py --seconds 60 --kind csv   # one kind only
    python bench/fuzz_import.py --replay "xml-mutated xlsx" 1234   # one input again, with its traceback

Inputs come from tests/fault/fuzzing.py (random bytes under every extension, openpyxl workbooks truncated and
mutated as bytes and as XML, csv in random encodings and delimiters, workbooks of random cells of every type).
Each must give rows or a DdjError; every --store-every-th input also goes through Workspace.import_files into an
encrypted store, where an error must leave counts, batches and the audit log as they were. Prints inputs tried,
outcomes per kind and failures (with the command that replays each); exit 1 if any failure was found. Failing
inputs are kept in --keep (default /tmp/ddj-fuzz-failures).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ddj_desktop.workspace import Workspace  # noqa: E402
from tests.fault import fuzzing  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run (default 60)")
    parser.add_argument("--kind", action="append", choices=sorted(fuzzing.KINDS), help="only these kinds")
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first input of each kind")
    parser.add_argument("--store-every", type=int, default=10, help="every N-th input is also imported (0: never)")
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "ddj-fuzz-failures")
    parser.add_argument("--replay", nargs=2, metavar=("KIND", "SEED"), help="run one input and show what it did")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ddj-fuzz-") as scratch:
        folder = Path(scratch)
        if args.replay:
            path = fuzzing.make_input(folder, args.replay[0], int(args.replay[1]))
            outcome = fuzzing.prepare(path)
            print(f"{path.name}, {path.stat().st_size} bytes: {outcome.kind}\n{outcome.detail}")
            return 1 if outcome.kind == "failure" else 0
        return campaign(args, folder)


def campaign(args: argparse.Namespace, folder: Path) -> int:
    kinds = args.kind or list(fuzzing.KINDS)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    failures: list[tuple[str, int, str, str]] = []
    inputs_dir = folder / "inputs"
    inputs_dir.mkdir()
    ws = Workspace.create(folder / "fuzz.ddj", "fuzzing passphrase", admin_name="fuzz")
    started = time.monotonic()
    tried = imported = 0
    try:
        seed = args.first_seed
        while time.monotonic() - started < args.seconds:
            for kind in kinds:
                path = fuzzing.make_input(inputs_dir, kind, seed)
                outcome = fuzzing.prepare(path)
                via = "read"
                if outcome.kind != "failure" and args.store_every and tried % args.store_every == 0:
                    outcome, via = fuzzing.import_into(ws, path), "import"
                    imported += 1
                tried += 1
                outcomes[kind][outcome.kind] += 1
                if outcome.kind == "failure":
                    args.keep.mkdir(parents=True, exist_ok=True)
                    kept = args.keep / f"{kind.replace(' ', '-')}-{seed}{path.suffix}"
                    kept.write_bytes(path.read_bytes())
                    failures.append((kind, seed, via, outcome.detail))
            seed += 1
    finally:
        ws.close()
    elapsed = time.monotonic() - started
    print(f"inputs tried: {tried} in {elapsed:.0f} s ({tried / elapsed:.0f}/s), {imported} of them imported into "
          f"an encrypted store; seeds {args.first_seed}..{seed - 1} per kind")
    for kind in kinds:
        counts = outcomes[kind]
        print(f"  {kind:<18} {sum(counts.values()):>7}  rows {counts['rows']:>6}  refused (DdjError) "
              f"{counts['refused']:>6}  failures {counts['failure']:>3}")
    print(f"failures found: {len(failures)}")
    for kind, seed, via, detail in failures[:20]:
        last = (detail.strip().splitlines() or ["?"])[-1]
        print(f"  [{via}] {kind} seed {seed}: {last}\n    replay: python bench/fuzz_import.py --replay '{kind}' {seed}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
