"""The `ddj-desktop` command line: parse, call Workspace, print. No SQL, no matching logic here.

The store passphrase comes from --passphrase-file, DDJ_PASSPHRASE, or a prompt; the acting user from --user /
DDJ_USER with the password from DDJ_USER_PASSWORD or a prompt. No subcommand opens the GUI; no arguments does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ddj_desktop import __version__
from ddj_desktop.errors import Cancelled, DdjError

if TYPE_CHECKING:  # the desktop starts without the store's modules; the commands import them when they run
    from ddj_desktop.workspace import Workspace

EXIT_AUDIT_BROKEN = 11
EXIT_INTERRUPTED = 130


class TerminalProgress:
    """A progress bar on stderr; on a pipe it prints one line per stage instead of redrawing."""

    def __init__(self, stream=None) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_draw = 0.0
        self._last_message = ""

    def update(self, fraction: float, message: str = "") -> None:
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and fraction < 1:
                return
            self._last_draw = now
            filled = int(30 * min(max(fraction, 0.0), 1.0))
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(f"\r[{bar}] {fraction:4.0%} {message[:60]:<60}")
            if fraction >= 1:
                self.stream.write("\n")
            self.stream.flush()
        elif message and message != self._last_message:
            self._last_message = message
            print(f"{fraction:4.0%} {message}", file=self.stream)

    def cancelled(self) -> bool:
        return False  # Ctrl+C raises KeyboardInterrupt, which rolls back the transaction

    def done(self) -> None:
        if self.tty and self._last_draw:
            self.stream.write("\n")


# -- secrets -------------------------------------------------------------------------------------------------
def _read_secret_file(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DdjError(f"Cannot read the passphrase file {path}: {exc.strerror}.") from exc
    return text.rstrip("\r\n")


def passphrase(args: argparse.Namespace, *, confirm: bool = False, env: str = "DDJ_PASSPHRASE",
               file_attr: str = "passphrase_file", what: str = "Store passphrase") -> str:
    """The passphrase from a file, the environment, or a prompt (twice when `confirm`)."""
    file_name = getattr(args, file_attr, None)
    if file_name:
        return _read_secret_file(file_name)
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise DdjError(f"No {what.lower()} given.", hint=f"Use --{file_attr.replace('_', '-')} FILE or set {env}.")
    first = getpass.getpass(f"{what}: ")
    if confirm:
        if len(first) < 12:
            print("Hint: a passphrase of four or more words is both strong and easy to remember.", file=sys.stderr)
        if getpass.getpass(f"{what} again: ") != first:
            raise DdjError("The two passphrases differ; nothing was created.")
        print("Keep the passphrase safe: a lost passphrase cannot be recovered, and neither can the data.",
              file=sys.stderr)
    return first


def user_password(args: argparse.Namespace, user: str | None) -> str | None:
    if os.environ.get("DDJ_USER_PASSWORD"):
        return os.environ["DDJ_USER_PASSWORD"]
    if user and sys.stdin.isatty():
        return getpass.getpass(f"Password for {user}: ")
    return None


def open_workspace(args: argparse.Namespace) -> Workspace:
    from ddj_desktop.workspace import Workspace

    user = args.user or os.environ.get("DDJ_USER") or None
    return Workspace.open(Path(args.store), passphrase(args), user=user, password=user_password(args, user))


# -- commands ------------------------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    user = args.user or os.environ.get("DDJ_USER") or None
    secret = passphrase(args, confirm=True)
    from ddj_desktop.workspace import Workspace

    with Workspace.create(Path(args.store), secret, admin_name=user,
                          admin_password=os.environ.get("DDJ_USER_PASSWORD") or None) as ws:
        print(f"Created the encrypted store {ws.path}.")
        print(f"First user: {ws.user_name} (admin).")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        if args.set:
            if any(v is not None for v in (args.display, args.intercept, args.agency)) or not args.retention:
                ws.set_source(args.set, display_name=args.display, intercept=args.intercept, agency=args.agency)
            if args.retention:
                if args.retention.lower() != "none" and not args.retention.isdigit():
                    raise DdjError(f"--retention {args.retention} is not a number of years or 'none'.")
                ws.set_retention(args.set, None if args.retention.lower() == "none" else int(args.retention))
        elif any(v is not None for v in (args.display, args.intercept, args.agency, args.retention)):
            raise DdjError("--display, --intercept, --agency and --retention need --set NAME.")
        rows = ws.sources()
    if not rows:
        print("No sources yet. Import a file with --source NAME, or add one with --set NAME.")
        return 0
    print(f"{'source':<12} {'intercept':>9} {'records':>8}  display name")
    for s in rows:
        intercept = "unknown" if s.intercept is None else str(s.intercept)
        print(f"{s.name:<12} {intercept:>9} {s.records:>8}  {s.display_name}")
    return 0


def cmd_batches(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        rows = ws.batches()
    if not rows:
        print("No imports yet.")
        return 0
    print(f"{'#':>4} {'source':<10} {'read':>7} {'new':>7} {'dup':>6} {'rejected':>8} {'skipped':>7}  when, who, file")
    for b in rows:
        print(f"{b.id:>4} {b.source:<10} {b.rows_read:>7} {b.rows_imported + b.rows_updated:>7} {b.rows_duplicate:>6} "
              f"{b.rows_rejected:>8} {b.rows_skipped:>7}  {b.imported_at[:16]} {b.user_name} {b.file_name}")
    return 0


def cmd_export_persons(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        count = ws.export_persons(Path(args.out))
    print(f"Wrote {count} records to {args.out}.")
    return 0


def cmd_export_hashed(args: argparse.Namespace) -> int:
    key = Path(args.key).read_text(encoding="utf-8") if args.key else None
    with open_workspace(args) as ws:
        count = ws.export_hashed(args.source.strip().lower(), Path(args.out), key)
    print(f"Wrote {count} records of {args.source} to {args.out}: row keys, keyed hashes (hmac_ columns) and sex, "
          "ZIP, suffix; no plain name, date of birth, SSN or address.")
    return 0


def cmd_hmac_key_new(args: argparse.Namespace) -> int:
    from ddj_desktop.linkage import hashed

    path = Path(args.keyfile)
    if path.exists():
        raise DdjError(f"{path} already exists.", hint="A key is made once per county; pick a new file name.")
    path.write_text(hashed.new_key() + "\n", encoding="utf-8")
    print(f"Wrote a new linkage key to {path}. Keep it secret, under the MOU: agencies that send hashes use it, "
          "and `ddj-desktop hmac-key load STORE KEYFILE` gives it to the store.")
    return 0


def cmd_hmac_key_load(args: argparse.Namespace) -> int:
    text = Path(args.keyfile).read_text(encoding="utf-8")
    with open_workspace(args) as ws:
        ws.set_linkage_key(text)
    print("The linkage key is kept in the store: hashed records link in HMAC mode at the next `link`.")
    return 0


def _record_ref(text: str) -> tuple[str, str]:
    source, sep, key = text.partition(":")
    if not sep or not source.strip() or not key.strip():
        raise DdjError(f"{text!r} is not SOURCE:KEY.", hint="Give a record as its source and key, e.g. jail:2021000001.")
    return source.strip().lower(), key.strip()


def cmd_link(args: argparse.Namespace) -> int:
    progress = TerminalProgress()
    with open_workspace(args) as ws:
        summary = ws.link(progress=progress)
    progress.done()
    print(f"Linked {summary.records} records ({summary.profiles} distinct identities) into {summary.persons} persons.")
    print(f"Candidate pairs: {summary.candidate_pairs} "
          f"({', '.join(f'{k} {v}' for k, v in summary.pairs_per_rule.items())}).")
    print(f"Links: {summary.links} pairs above the link threshold; {summary.refused} refused as conflicting "
          f"(different SSNs, Jr/Sr, different dates of birth).")
    print(f"Review queue: {summary.review_pairs} pairs between the thresholds.")
    print(f"Persons: {summary.new_persons} new, {summary.merges} merges and {summary.splits} splits of earlier "
          f"persons; {summary.changed_records} records changed person.")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from ddj_desktop.linkage import explain

    with open_workspace(args) as ws:
        if args.b is None:
            ref = args.a
            person = int(ref.upper().lstrip("P")) if ref.upper().lstrip("P").isdigit() else _record_ref(ref)
            print(explain.format_person(ws.explain_person(person)))
        else:
            print(explain.format_pair(ws.explain(_record_ref(args.a), _record_ref(args.b))))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        result = ws.verify_audit()
    print(result.message())
    return 0 if result.ok else EXIT_AUDIT_BROKEN


def cmd_audit_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        for e in reversed(ws.audit_entries(args.limit)):
            print(f"{e['seq']:>6} {e['at'][:19]} {e['user']:<12} {e['action']:<12} {e['details']}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        ws.backup(Path(args.out))
    print(f"Wrote an encrypted backup to {args.out} (same passphrase); it was opened and checked.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ddj_desktop.workspace import Workspace

    user = args.user or os.environ.get("DDJ_USER") or None
    restored, aside = Workspace.restore(
        Path(args.backup), Path(args.store), passphrase(args), user=user, password=user_password(args, user),
        replace=args.replace,
    )
    with restored as ws:
        counts = ws.counts()
    print(f"Restored {args.store} from {args.backup}: {counts['records']} records.")
    if aside:
        print(f"The store it replaced was kept as {aside}.")
    return 0


def cmd_passphrase(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        new = passphrase(args, confirm=True, env="DDJ_NEW_PASSPHRASE", file_attr="new_passphrase_file",
                         what="New store passphrase")
        ws.change_passphrase(new)
    print("The passphrase was changed. The old passphrase no longer opens the store.")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        if args.add:
            password = os.environ.get("DDJ_NEW_USER_PASSWORD") or (
                getpass.getpass(f"Password for the new user {args.add}: ") if sys.stdin.isatty() else None)
            if not password:
                raise DdjError("The new user needs a password.", hint="Type it at the prompt or set DDJ_NEW_USER_PASSWORD.")
            ws.add_user(args.add, args.role or "analyst", password)
            print(f"Added {args.add} ({args.role or 'analyst'}).")
        elif args.set_password:
            password = os.environ.get("DDJ_NEW_USER_PASSWORD") or (
                getpass.getpass("New password: ") if sys.stdin.isatty() else None)
            if not password:
                raise DdjError("No password given.", hint="Type it at the prompt or set DDJ_NEW_USER_PASSWORD.")
            ws.set_password(password, name=args.set_password)
            print(f"Password set for {args.set_password}.")
        elif args.change:
            active = False if args.deactivate else True if args.activate else None
            changed = ws.change_user(args.change, role=args.role, active=active)
            print(f"{changed.name} is now {changed.role}{'' if changed.active else ' (inactive)'}.")
        for u in ws.users():
            state = "" if u.active else " (inactive)"
            print(f"{u.name:<20} {u.role:<9}{state}")
    return 0


def print_import_summary(summaries, stream=None) -> None:  # type: ignore[no-untyped-def]
    out = stream or sys.stdout
    for b in summaries:
        print(f"{b.label}  (mapping: {b.profile_name}, {b.profile_from})", file=out)
        print(f"  rows read {b.rows_read}: new {b.imported}, updated {b.updated}, already in the store "
              f"{b.duplicate}, rejected {b.rejected}, skipped {sum(b.skipped.values())}", file=out)
        for reason, count in sorted(b.skipped.items()):
            print(f"    skipped {count:>5}  {reason}", file=out)
        for note in b.notes:
            print(f"    note: {note}", file=out)
        for row, reason, rejected in b.problems[:10]:
            print(f"    row {row}: {'REJECTED - ' if rejected else ''}{reason}", file=out)
        more = (b.rejected + len(b.problems)) - min(len(b.problems), 10)
        if len(b.problems) > 10 or (more > 0 and b.rejected > 10):
            print("    ... (export them all with --rejects FILE.xlsx)", file=out)


def cmd_import(args: argparse.Namespace) -> int:
    progress = TerminalProgress()
    with open_workspace(args) as ws:
        summaries = ws.import_files(
            [Path(f) for f in args.files], args.source, mapping_file=Path(args.mapping) if args.mapping else None,
            sheet=args.sheet, progress=progress,
        )
        progress.done()
        print_import_summary(summaries)
        if args.rejects:
            count = ws.export_problems([b.batch_id for b in summaries], Path(args.rejects))
            print(f"Wrote {count} problem rows to {args.rejects}.")
    return 0


def cmd_mapping(args: argparse.Namespace) -> int:
    """Print the proposed mapping of each table in FILE(s), with confidence; optionally save it as a profile."""
    from ddj_desktop.importing import mapping, pipeline

    tables = pipeline.read_tables([Path(f) for f in args.files], args.sheet, TerminalProgress())
    for table in tables:
        proposal = mapping.propose_mapping(table)
        layout = f" - recognised: {proposal.layout_title or proposal.layout}" if proposal.layout else ""
        print(f"{table.label}: header on row {table.header_row_number}, {len(table.rows)} data rows{layout}")
        for name, column in {**proposal.profile.fields, **proposal.profile.attributes}.items():
            confidence = proposal.confidence.get(name, 0)
            print(f"  {name:<24} <- {column!r:<32} {confidence:4.0%}  {proposal.reasons.get(name, '')}")
        if proposal.profile.name_order:
            print(f"  {'name order':<24} :  {proposal.profile.name_order:<31} {proposal.reasons.get('name_order', '')}")
        if proposal.unmapped:
            print(f"  kept as attributes: {', '.join(proposal.unmapped)}")
        if args.out:
            mapping.save_profile(proposal.profile, Path(args.out))
            print(f"Saved the profile to {args.out}: edit it, then import with --mapping {args.out}")
    return 0


def _as_of(text: str | None, flag: str = "--as-of") -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DdjError(f"{flag} {text!r} is not a date.", hint="Write it as YYYY-MM-DD, e.g. 2026-06-30.") from None


def _print_list(result, limit: int = 10) -> None:  # type: ignore[no-untyped-def]
    print(f"{result.rule_name} (version {result.rule_version}), as of {result.as_of.isoformat()} "
          f"(window from {result.window_start.isoformat()}): {len(result.people)} people listed"
          + (f" of {result.candidates} meeting the criteria" if result.candidates != len(result.people) else "")
          + f"; {result.persons_in_window} people have a record in the window.")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    for p in result.people[:limit]:
        print(f"  {p.rank:>4}  P{p.person_id:06d}  {p.why()}")
    if len(result.people) > limit:
        print(f"  ... {len(result.people) - limit} more in the output file")


def cmd_utilizers(args: argparse.Namespace) -> int:
    """`utilizers STORE --rule R --out F` writes a list; `utilizers compare STORE ...` compares two lists."""
    if args.store == "compare":
        if not args.compare_store:
            raise DdjError("utilizers compare needs the store: utilizers compare STORE --rule NAME ...")
        args.store = args.compare_store
        return _utilizers_compare(args)
    if args.compare_store:
        raise DdjError(f"Unexpected argument {args.compare_store!r}.", hint="ddj-desktop utilizers STORE --rule NAME "
                       "--out FILE.xlsx, or ddj-desktop utilizers compare STORE --rule NAME")
    if args.previous_as_of or args.previous_run is not None:
        raise DdjError("--previous-as-of and --previous-run belong to `utilizers compare`.")
    with open_workspace(args) as ws:
        if args.runs:
            for run in ws.utilizer_runs():
                print(f"{run.id:>4}  {run.as_of.isoformat()}  {run.people:>6} people  {run.rule_name} "
                      f"v{run.rule_version}  (saved {run.saved_at[:16]} by {run.user_name})")
            return 0
        if not args.rule:
            names = ", ".join(t.key for t in ws.utilizer_templates())
            raise DdjError("Give the rule with --rule NAME|FILE.toml.", hint=f"Shipped templates: {names}.")
        if not args.out:
            raise DdjError("Give the output file with --out FILE.xlsx (or .csv).")
        result = ws.export_utilizer_list(args.rule, Path(args.out), _as_of(args.as_of), save=args.save)
    _print_list(result)
    saved = f" (saved as run {result.run_id})" if result.run_id is not None else ""
    print(f"Wrote {len(result.people)} people to {args.out}{saved}.")
    return 0


def _utilizers_compare(args: argparse.Namespace) -> int:
    if not args.rule:
        raise DdjError("Give the rule with --rule NAME|FILE.toml.")
    with open_workspace(args) as ws:
        comparison = ws.compare_utilizer_lists(
            args.rule, _as_of(args.as_of), previous_as_of=_as_of(args.previous_as_of, "--previous-as-of"),
            previous_run=args.previous_run,
        )
        if args.out:
            ws.export_utilizer_comparison(comparison, Path(args.out))
    print(f"before: {comparison.before.label} ({len(comparison.before.entries)} people)")
    print(f"now:    {comparison.now.label} ({len(comparison.now.entries)} people)")
    for note in comparison.notes():
        print(f"note: {note}")
    print(", ".join(f"{status} {n}" for status, n in comparison.counts().items()))
    for status in ("new", "moved up", "dropped"):
        changes = comparison.of_status(status)
        if changes:
            shown = ", ".join(f"P{c.person_id:06d}" + (f" (+{c.moved})" if c.moved else "") for c in changes[:15])
            print(f"  {status}: {shown}{' ...' if len(changes) > 15 else ''}")
    if args.out:
        print(f"Wrote the comparison to {args.out}.")
    return 0


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def cmd_county(args: argparse.Namespace) -> int:
    """Show, or load, the county settings that ROI forms and the consent register need."""
    from ddj_desktop.consent import settings as county

    if args.example:
        print(county.EXAMPLE_TOML, end="")
        return 0
    with open_workspace(args) as ws:
        if args.load:
            ws.set_county_settings(Path(args.load).read_text(encoding="utf-8"))
            print(f"County settings loaded from {args.load}.")
        current = ws.county_settings()
    if current is None:
        print("No county settings yet. Start from `ddj-desktop county STORE --example`, edit, then --load it.")
    elif not args.load:
        print(current.to_toml(), end="")
    return 0


def _persons_from(args: argparse.Namespace) -> list[str]:
    import csv

    persons = list(args.person or [])
    if args.persons_file and Path(args.persons_file).suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # a utilizer list as `utilizers` writes it: person_id on the first sheet

        book = load_workbook(args.persons_file, read_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(c or "").strip().lower() for c in next(rows, ())]
        column = header.index("person_id") if "person_id" in header else None
        persons += [str(r[column]).strip() for r in rows if column is not None and r[column]]
        book.close()
    elif args.persons_file:
        with open(args.persons_file, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                value = row.get("person_id") or row.get("person") or ""
                if value.strip():
                    persons.append(value.strip())
    if not persons:
        raise DdjError("Say whose form to print: --person ID (repeatable) or --persons-file FILE.csv.")
    return persons


def cmd_roi(args: argparse.Namespace) -> int:
    """Print numbered release-of-information forms, pre-filled, for one person or a list."""
    progress = TerminalProgress()
    with open_workspace(args) as ws:
        printed = ws.roi_forms(_persons_from(args), out=Path(args.out) if args.out else None,
                               out_dir=Path(args.out_dir) if args.out_dir else None, template=args.template,
                               progress=progress)
    progress.done()
    for form in printed:
        print(f"{form.number}  {form.person}  {form.file}")
    print(f"{len(printed)} form(s) written. When one comes back signed, record it with "
          "`ddj-desktop consents STORE record --form NUMBER ...`.")
    return 0


def _print_consents(rows: list) -> None:  # type: ignore[type-arg]
    if not rows:
        print("No consents.")
        return
    print(f"{'#':>4} {'person':<8} {'status':<9} {'signed':<10} {'ends':<10} {'form':<10}  receiving / categories")
    for c in rows:
        ends = f"rev {c.revoked_on}" if c.revoked_on else c.expires_on or (c.expiry_event or "")[:10]
        print(f"{c.id:>4} {c.person:<8} {c.status:<9} {c.signed_on:<10} {ends:<10} {c.form_number or '-':<10}  "
              f"{','.join(c.receiving)} / {','.join(x['key'] for x in c.categories)}")


def cmd_consents(args: argparse.Namespace) -> int:
    """Record, revoke and list signed releases of information."""
    with open_workspace(args) as ws:
        if args.action == "record":
            artifact = None
            if args.signed_file:
                artifact = (Path(args.signed_file).name, Path(args.signed_file).read_bytes())
            if not args.pairs and not (args.disclosing and args.receiving):
                raise DdjError("Say who may share with whom: --pairs SHARING:RECEIVING,... (the initialled boxes of "
                               "the form's grid), or --disclosing and --receiving.")
            info = ws.record_consent(
                args.person, form=args.form, template=args.template, pairs=_split(args.pairs or ""),
                disclosing=_split(args.disclosing or ""), receiving=_split(args.receiving or ""),
                categories=_split(args.categories), purposes=_split(args.purposes),
                signed_on=args.signed, expires_on=args.expires, expiry_event=args.expiry_event,
                representative=args.representative, representative_authority=args.authority, artifact=artifact,
                note=args.note,
            )  # fmt: skip
            print(f"Recorded consent #{info.id} for {info.person} ({info.template_id} {info.template_version}), "
                  f"{info.status}, ends {info.expires_on or info.expiry_event}.")
            for line in info.notes:
                print(f"  {line}")
        elif args.action == "revoke":
            info = ws.revoke_consent(args.consent, on=args.on, method=args.method, note=args.note)
            print(f"Consent #{info.id} of {info.person} revoked from {info.revoked_on} ({info.revocation_method}). "
                  "Earlier disclosures stay in the audit log.")
        elif args.action == "list":
            _print_consents(ws.consents(args.person, on=args.on))
        else:
            rows = ws.consents(on=args.on, expiring_only=True, within_days=args.days)
            _print_consents(rows)
    return 0


def cmd_agreements(args: argparse.Namespace) -> int:
    """List, add, tie and end data-sharing agreements."""
    with open_workspace(args) as ws:
        if args.action == "add":
            made = ws.add_agreement(args.name, parties=_split(args.parties), purpose=args.purpose,
                                    fields=_split(args.fields), starts_on=args.start, ends_on=args.end)
            print(f"Added agreement {made.name} ({made.starts_on} to {made.ends_on or 'open-ended'}), {made.status}. "
                  f"Tie a source to it with `ddj-desktop agreements STORE tie SOURCE {made.name}`.")
        elif args.action == "tie":
            source = ws.tie_agreement(args.source, None if args.agreement == "none" else args.agreement)
            print(f"Source {source.name} now falls under {source.agreement or 'no agreement'}.")
        elif args.action == "end":
            ended = ws.end_agreement(args.name, on=args.on, note=args.note)
            print(f"Agreement {ended.name} ends on {ended.ends_on}; imports into "
                  f"{', '.join(ended.sources) or 'its sources'} after that day are refused.")
        else:
            rows = ws.agreements(on=args.on)
            if not rows:
                print("No agreements. Add one with `ddj-desktop agreements STORE add ...`.")
            for a in rows:
                print(f"{a.name:<20} {a.status:<11} {a.starts_on} to {a.ends_on or 'open-ended':<10}  "
                      f"sources: {', '.join(a.sources) or '-'}")
                print(f"    parties: {'; '.join(a.parties)}")
                print(f"    purpose: {a.purpose}")
                print(f"    fields:  {', '.join(a.fields_allowed)}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """List or purge what is past retention, or purge one person."""
    with open_workspace(args) as ws:
        if args.expired:
            rows = ws.expired(on=args.on)
            if not rows:
                print("No source has a retention period (set one with `sources --set NAME --retention YEARS`).")
            for e in rows:
                print(f"{e.source:<16} keep {e.retention_years} years: {e.records} records and {e.rejected_rows} "
                      f"rejected rows last written before {e.cutoff}" + (f" (oldest {e.oldest})" if e.oldest else ""))
            total = sum(e.records + e.rejected_rows for e in rows)
            if args.dry_run or not total:
                print("Nothing was purged." if total else "Nothing is past retention.")
                return 0
            what = f"{sum(e.records for e in rows)} records past retention"
        else:
            what = f"every record of {args.person}"
        if not args.yes:
            if not sys.stdin.isatty():
                raise DdjError(f"Purging {what} cannot be undone; it needs a confirmation.",
                               hint="Run it in a terminal to confirm, or add --yes.")
            if input(f"Purge {what}? This cannot be undone. Type PURGE to go on: ").strip() != "PURGE":
                print("Nothing was purged.")
                return 0
        counts = ws.purge_expired(on=args.on) if args.expired else ws.purge_person(args.person)
    print(f"Purged {counts.records} records ({', '.join(f'{k} {v}' for k, v in sorted(counts.by_source.items())) or '-'}"
          f"), {counts.rejected_rows} rejected rows, {counts.pairs} review pairs, {counts.decisions} decisions, "
          f"{counts.persons} persons; the store was compacted so nothing of them stays in the file.")
    return 0


def cmd_disclose(args: argparse.Namespace) -> int:
    """Export a person's records to a named party, only under an active consent."""
    with open_workspace(args) as ws:
        result = ws.disclose(args.person, args.to, _split(args.categories), Path(args.out))
    notice = " with the 42 CFR 2.32 notice and the consent's scope" if result.part2 else ""
    print(f"Wrote {result.records} records of {result.person} for {result.party} to {result.file}{notice} "
          f"(consent #{result.consent_id}; SHA-256 {result.sha256[:16]}…).")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    progress = TerminalProgress()
    with open_workspace(args) as ws:
        summary = ws.council_report(Path(args.out), period_from=_as_of(args.period_from, "--from"),
                                    period_to=_as_of(args.period_to, "--to"), rule=args.rule,
                                    xlsx=Path(args.xlsx) if args.xlsx else None, progress=progress)
    progress.done()
    print(f"Wrote {summary.pages} pages to {summary.pdf} (period {summary.period[0].isoformat()} to "
          f"{summary.period[1].isoformat()}; frequent-utilizer rule: {summary.cohort_rule or 'none chosen'}).")
    print(f"Small counts hidden: {summary.hidden_small}; further counts hidden to protect them: "
          f"{summary.hidden_complementary}.")
    if summary.xlsx:
        print(f"Wrote {summary.tables} aggregate tables (suppressed the same way) to {summary.xlsx}.")
    return 0


def cmd_report_settings(args: argparse.Namespace) -> int:
    from ddj_desktop.reports import settings as report_settings

    if args.example:
        print(report_settings.EXAMPLE_TOML, end="")
        return 0
    costs: dict[str, float] = {}
    for item in args.cost or ():
        source, sep, amount = item.partition("=")
        try:
            costs[source.strip().lower()] = float(amount)
        except ValueError:
            raise DdjError(f"--cost {item!r} is not SOURCE=DOLLARS.", hint="e.g. --cost jail=112.50") from None
        if not sep:
            raise DdjError(f"--cost {item!r} is not SOURCE=DOLLARS.", hint="e.g. --cost jail=112.50")
    population = None
    if args.population:
        text = Path(args.population).read_text(encoding="utf-8-sig")
        population = (report_settings.from_toml(text).population if args.population.endswith(".toml")
                      else report_settings.population_from_csv(text))
    with open_workspace(args) as ws:
        changes = {"county": args.county, "rule": args.rule, "threshold": args.threshold,
                   "cost_per_day": costs or None, "population": population}
        whole = Path(args.load).read_text(encoding="utf-8") if args.load else None
        if whole is not None or any(v is not None for v in changes.values()):
            ws.set_report_settings(whole, **{k: v for k, v in changes.items() if v is not None})
        print(ws.report_settings().to_toml(), end="")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole pipeline on the bundled sample county, in a temporary store (or in --out DIR, kept)."""
    from ddj_desktop import demo

    keep = Path(args.out) if args.out else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        if (keep / demo.STORE_NAME).exists():
            raise DdjError(f"{keep / demo.STORE_NAME} already exists.", hint="Pick an empty folder for --out.")
    with tempfile.TemporaryDirectory(prefix="ddj-demo-") as scratch:
        folder = keep or Path(scratch)
        progress = TerminalProgress()
        started = time.monotonic()
        result = demo.build_sample_county(folder, progress)
        progress.done()
        with result.workspace as ws:
            print(f"Sample county imported into an encrypted store in {time.monotonic() - started:.1f} s.\n")
            print(f"{'source':<10} {'files':>5} {'rows':>6} {'imported':>8} {'rejected':>8} {'skipped':>7}")
            for source, batches in result.imports:
                print(f"{source:<10} {len(batches):>5} {sum(b.rows_read for b in batches):>6} "
                      f"{sum(b.imported for b in batches):>8} {sum(b.rejected for b in batches):>8} "
                      f"{sum(sum(b.skipped.values()) for b in batches):>7}")
            counts = ws.counts()
            print(f"\n{counts['records']} records from {counts['sources']} sources.")
            if result.linkage is not None:
                print(f"Linked into {result.linkage.persons} persons; {result.linkage.review_pairs} pairs wait "
                      f"in the review queue.")
            listed, list_file = demo.write_utilizer_list(ws, folder)
            print(f"\nFrequent utilizers ({listed.rule_name}, as of {listed.as_of.isoformat()}): "
                  f"{len(listed.people)} people" + (f", written to {list_file}." if keep is not None else "."))
            report = demo.write_council_report(ws, folder)
            print(f"Council report: {report.pages} pages" + (f", written to {report.pdf} (tables: {report.xlsx})."
                                                            if keep is not None else "."))
            if keep is not None and listed.people:
                forms = demo.write_roi_forms(ws, listed.person_ids(), folder)
                print(f"Release-of-information forms for them ({len(forms)}, pre-filled, fillable): "
                      f"{folder / demo.ROI_FILE}.")
        if keep is not None:
            print(f"\nThe store is {keep / demo.STORE_NAME} (passphrase: {demo.DEMO_PASSPHRASE!r}).")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    import json

    with open_workspace(args) as ws:
        if args.action == "list":
            queue = ws.review_queue()
            if args.json:
                print(json.dumps([item.to_json() for item in queue.items], indent=1))
                return 0
            for item in queue.items:
                flag = " LIST" if item.changes_list else ""
                flag += " unsure" if item.unsure else ""
                print(f"{item.pair_id}  p={item.probability:.3f}  {item.a[0]}:{item.a[1]}  {item.b[0]}:{item.b[1]}  "
                      f"records={item.records}{flag}")
            print(f"{queue.left} pairs left ({queue.decided} decided); if review stopped now, about "
                  f"{queue.expected_wrong:.1f} true matches would stay unlinked.", file=sys.stderr)
            if queue.withheld:
                print(f"{queue.withheld} more pair(s) hold 42 CFR Part 2 records, which the county does not show to "
                      "your role: a colleague whose role may see them reviews those.", file=sys.stderr)
        elif args.action == "decide":
            done = ws.review_decide(args.pair_id, args.decision, note=args.note)
            print(f"Pair {done.pair_id}: {done.decision} ({done.persons_changed} records changed person).")
        else:
            done = ws.review_undo()
            print("Nothing to undo." if done is None else
                  f"Undone: {done.kind} {done.decision} on pair {done.pair_id} by {done.user_name} "
                  f"({done.persons_changed} records back).")
    return 0


# -- parser --------------------------------------------------------------------------------------------------
def _store_command(sub: argparse._SubParsersAction, name: str, func: Callable[[argparse.Namespace], int],
                   help_text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("store", metavar="STORE", help="the store file (.ddj)")
    p.add_argument("--passphrase-file", metavar="FILE", help="read the store passphrase from FILE "
                   "(else DDJ_PASSPHRASE, else a prompt)")
    p.add_argument("--user", metavar="NAME", help="act as this user (else DDJ_USER; not needed while the store "
                   "has one user)")
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ddj-desktop",
        description="DDJ Desktop: import agency exports into an encrypted store, link people across agencies, "
        "and report. Without a command, the desktop application opens.",
    )
    parser.add_argument("--version", action="version", version=f"ddj-desktop {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="open the desktop application on the sample county (a temporary store)")
    parser.add_argument("--quit-after-demo", action="store_true",
                        help="with --demo: quit once the window is up (a smoke test of an installed build)")
    parser.add_argument("--quit-after-start", action="store_true", help=argparse.SUPPRESS)  # cold-start timing
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end on the sample county (temporary files only)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    _store_command(sub, "init", cmd_init, "create an encrypted store and its first user, an admin")

    p = _store_command(sub, "sources", cmd_sources, "list the sources, or create/change one with --set")
    p.add_argument("--set", metavar="NAME", help="the source to create or change (e.g. jail, ed, shelter)")
    p.add_argument("--display", metavar="TEXT", help="its display name")
    p.add_argument("--intercept", type=int, choices=range(6), metavar="N",
                   help="its Sequential Intercept Model intercept, 0-5")
    p.add_argument("--agency", metavar="TEXT", help="the agency that sends its exports")
    p.add_argument("--retention", metavar="YEARS|none", help="keep its records this many years after they were "
                   "imported or last changed, then `purge --expired` removes them (admins)")

    _store_command(sub, "batches", cmd_batches, "list the imports made into the store")

    _store_command(sub, "link", cmd_link, "link the records of every source into persons (reviewer decisions "
                   "are kept; person IDs stay stable)")
    p = _store_command(sub, "explain", cmd_explain, "show why two records are (or are not) linked, field by field; "
                       "with one argument (a record or a person ID like P000123), why a person's records are together")
    p.add_argument("a", metavar="SOURCE:KEY", help="a record, e.g. jail:2021000001 (or a person ID)")
    p.add_argument("b", metavar="SOURCE:KEY", nargs="?", help="the other record")

    p = sub.add_parser("export", help="write data out of the store", description="write data out of the store")
    export_sub = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    p = _store_command(export_sub, "persons", cmd_export_persons,
                       "write source,source_key,person_id for every record to a csv file")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the csv file to write")
    p = _store_command(export_sub, "hashed", cmd_export_hashed,
                       "write a source's records as keyed hashes of their identifiers (HMAC mode), as an agency "
                       "that may not send names sends them")
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the csv file to write")
    p.add_argument("--key", metavar="KEYFILE", help="hash with this key file (default: the store's linkage key)")

    p = sub.add_parser("hmac-key", help="the county's HMAC linkage key (hashed identifiers)",
                       description="the county's HMAC linkage key, for agencies that send keyed hashes only")
    key_sub = p.add_subparsers(dest="what", metavar="ACTION", required=True)
    r = key_sub.add_parser("new", help="write a new random key file (once per county)")
    r.add_argument("keyfile", metavar="KEYFILE")
    r.set_defaults(func=cmd_hmac_key_new)
    r = _store_command(key_sub, "load", cmd_hmac_key_load, "keep the key in the store (admins)")
    r.add_argument("keyfile", metavar="KEYFILE")

    p = sub.add_parser("audit", help="check or read the audit log", description="check or read the audit log")
    audit_sub = p.add_subparsers(dest="what", metavar="ACTION", required=True)
    _store_command(audit_sub, "verify", cmd_audit_verify,
                   "check that no audit entry was edited, deleted or reordered (exit 11 if one was)")
    p = _store_command(audit_sub, "list", cmd_audit_list, "print the latest audit entries")
    p.add_argument("--limit", type=int, default=50, help="how many (default 50)")

    p = _store_command(sub, "passphrase", cmd_passphrase, "change the store passphrase (re-encrypts the store)")
    p.add_argument("--new-passphrase-file", metavar="FILE",
                   help="read the new passphrase from FILE (else DDJ_NEW_PASSPHRASE, else a prompt)")

    p = _store_command(sub, "backup", cmd_backup, "write an encrypted backup of the store (checked before done)")
    p.add_argument("--out", required=True, metavar="FILE.ddj", help="the backup file to write (must not exist)")

    p = sub.add_parser("restore", help="restore a store from a backup (admins)",
                       description="restore a store from an encrypted backup; the backup is opened and checked "
                       "first, and a store already at STORE is set aside (with --replace), never overwritten")
    p.add_argument("backup", metavar="BACKUP", help="the backup file")
    p.add_argument("store", metavar="STORE", help="where to restore it")
    p.add_argument("--replace", action="store_true", help="set aside the store at STORE and restore in its place")
    p.add_argument("--passphrase-file", metavar="FILE", help="read the passphrase from FILE")
    p.add_argument("--user", metavar="NAME", help="act as this user (an admin of the backup)")
    p.set_defaults(func=cmd_restore)

    p = _store_command(sub, "users", cmd_users, "list users, add one, or set a password (admins)")
    p.add_argument("--add", metavar="NAME", help="add a user (password from a prompt or DDJ_NEW_USER_PASSWORD)")
    p.add_argument("--role", choices=("admin", "analyst", "reviewer", "viewer"),
                   help="with --add (default analyst) or --change")
    p.add_argument("--set-password", metavar="NAME", help="set the password of NAME (yourself, or any as admin)")
    p.add_argument("--change", metavar="NAME", help="change user NAME: a new --role, --deactivate or --activate")
    p.add_argument("--deactivate", action="store_true", help="with --change: NAME can no longer sign in")
    p.add_argument("--activate", action="store_true", help="with --change: NAME can sign in again")

    p = _store_command(sub, "import", cmd_import, "import agency export files into a source (one transaction)")
    p.add_argument("files", nargs="+", metavar="FILE", help="xlsx/xlsm/xls/csv/tsv/txt files; files of one "
                   "export given together (HMIS Client + Enrollment + Exit, jail bookings + charges) are joined")
    p.add_argument("--source", required=True, metavar="NAME", help="the source (jail, ems, ed, shelter ...); "
                   "a new name creates it")
    p.add_argument("--mapping", metavar="PROFILE.toml", help="the mapping profile to use (see `mapping`); "
                   "default: the profile of this source's last import if it fits, else an automatic one")
    p.add_argument("--sheet", metavar="NAME", help="import only this sheet (default: every sheet)")
    p.add_argument("--rejects", metavar="FILE.xlsx", help="write the rows that were not imported, with reasons")

    p = sub.add_parser("mapping", help="show how the columns of a file would be mapped (no store needed)",
                       description="show how the columns of a file would be mapped, with confidence; "
                       "--out saves it as a profile to edit and pass to `import --mapping`")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--sheet", metavar="NAME")
    p.add_argument("--out", metavar="PROFILE.toml", help="save the proposed profile")
    p.set_defaults(func=cmd_mapping)

    p = _store_command(sub, "utilizers", cmd_utilizers,
                       "write the frequent-utilizer list of a rule (csv or xlsx), or compare two lists")
    p.usage = ("ddj-desktop utilizers STORE --rule NAME|FILE.toml [--as-of DATE] --out FILE.xlsx|.csv [--save]\n"
               "       ddj-desktop utilizers compare STORE --rule NAME|FILE.toml [--as-of DATE] "
               "[--previous-as-of DATE | --previous-run ID] [--out FILE.xlsx|.csv]\n"
               "       ddj-desktop utilizers STORE --runs")
    p.description = ("The list: one row per person with person_id, the measure values, the conditions that held "
                     "and the records behind them. Rules: a shipped template (bernalillo, denver_sib, generic_ddj, "
                     "hennepin_fuse, long_beach) or a rule file. `compare` shows who is new, dropped or moved up "
                     "against the last saved run of the rule before --as-of (or --previous-run / "
                     "--previous-as-of; default one month earlier).")
    p.add_argument("compare_store", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--rule", metavar="NAME|FILE", help="a template name or a rule file (.toml)")
    p.add_argument("--as-of", metavar="DATE", help="evaluate as of this date, YYYY-MM-DD (default today)")
    p.add_argument("--out", metavar="FILE", help="the .xlsx or .csv file to write")
    p.add_argument("--save", action="store_true", help="keep this run in the store, for next month's compare")
    p.add_argument("--runs", action="store_true", help="list the saved runs")
    p.add_argument("--previous-as-of", metavar="DATE", help="compare: the earlier list is the rule as of DATE")
    p.add_argument("--previous-run", type=int, metavar="ID", help="compare: the earlier list is saved run ID")

    p = sub.add_parser("demo", help="run the whole pipeline on the bundled sample county",
                       description="import the bundled sample county (synthetic people, files shaped like real "
                       "agency exports) into a new encrypted store and show what landed; nothing is kept "
                       "unless --out is given")
    p.add_argument("--out", metavar="DIR", help="keep the store (and outputs) in this folder")
    p.set_defaults(func=cmd_demo)

    p = _store_command(sub, "county", cmd_county,
                       "show or load the county settings (county, partner agencies, 42 CFR Part 2 sources "
                       "and the roles that may see them) that ROI forms need")
    p.add_argument("--load", metavar="FILE.toml", help="load the settings from this file")
    p.add_argument("--example", action="store_true", help="print an example settings file (no store needed)")

    p = _store_command(sub, "roi", cmd_roi, "print pre-filled release-of-information forms (PDF, fillable)")
    p.add_argument("--person", action="append", metavar="ID", help="the person (P000123); repeat for several")
    p.add_argument("--persons-file", metavar="FILE", help="a csv or xlsx with a person_id column (a utilizer list)")
    p.add_argument("--template", metavar="NAME", help="form template (multiparty-en, multiparty-es, or a .toml "
                   "file; default: the county's)")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", metavar="FILE.pdf", help="one PDF holding every form")
    out.add_argument("--out-dir", metavar="DIR", help="one PDF per person in this folder")

    p = _store_command(sub, "consents", cmd_consents, "record, revoke and list signed releases of information")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = actions.add_parser("record", help="record a signed form")
    r.add_argument("--person", required=True, metavar="ID")
    r.add_argument("--form", metavar="ROI-NUMBER", help="the number printed on the signed form")
    r.add_argument("--template", metavar="NAME", help="the template, when the form had no number")
    r.add_argument("--pairs", metavar="PAIRS", help="the initialled boxes of the form's grid, each SHARING:RECEIVING "
                   "(sheriff:ddj,bh:ddj)")
    r.add_argument("--disclosing", metavar="PARTIES", help="instead of --pairs: every one of these parties (a,b) ...")
    r.add_argument("--receiving", metavar="PARTIES", help="... may share with every one of these")
    r.add_argument("--categories", required=True, metavar="LIST",
                   help="categories checked, each optionally with dates: jail,hmis:2024-01-01..2025-12-31")
    r.add_argument("--purposes", required=True, metavar="LIST", help="purposes checked (or other:TEXT)")
    r.add_argument("--signed", required=True, metavar="DATE", help="the date signed (YYYY-MM-DD)")
    r.add_argument("--expires", metavar="DATE", help="the end date written on the form (default: one year)")
    r.add_argument("--expiry-event", metavar="TEXT", help="the end event written on the form")
    r.add_argument("--representative", metavar="NAME")
    r.add_argument("--authority", metavar="TEXT", help="the representative's authority")
    r.add_argument("--signed-file", metavar="SCAN.pdf", help="the scanned signed form, kept encrypted in the store")
    r.add_argument("--note", metavar="TEXT")
    r = actions.add_parser("revoke", help="record a revocation (received in writing)")
    r.add_argument("consent", type=int, metavar="CONSENT", help="the consent number (#)")
    r.add_argument("--on", metavar="DATE", help="the day the revocation was received (default: today)")
    r.add_argument("--method", required=True, choices=("letter", "revocation form", "email", "in person", "verbal",
                                                       "other"))
    r.add_argument("--note", metavar="TEXT")
    r = actions.add_parser("list", help="every consent with its status today")
    r.add_argument("--person", metavar="ID")
    r.add_argument("--on", metavar="DATE", help="status on this day instead of today")
    r = actions.add_parser("expiring", help="consents ending within 30 days (or --days N)")
    r.add_argument("--days", type=int, metavar="N")
    r.add_argument("--on", metavar="DATE", help="from this day instead of today")

    p = _store_command(sub, "agreements", cmd_agreements, "data-sharing agreements (MOUs): list, add, tie a source "
                       "to one, end one (admins change them)")
    p.description = ("A source tied to an agreement takes imports only inside the agreement's period and only of "
                     "the fields it allows (canonical fields such as last_name, dob, event_start and attribute "
                     "columns such as charge); an import outside them is refused, naming the fields, and nothing "
                     "is written. The row key (source_key) is always allowed; quality codes come with their field; "
                     "full_name with first_name and last_name.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = actions.add_parser("list", help="every agreement with its status and sources")
    r.add_argument("--on", metavar="DATE", help="status on this day instead of today")
    r = actions.add_parser("add", help="record an agreement")
    r.add_argument("name", metavar="NAME", help="a short name, e.g. hmis-mou-2025")
    r.add_argument("--parties", required=True, metavar="LIST", help="the parties, comma-separated")
    r.add_argument("--purpose", required=True, metavar="TEXT", help="what the data may be used for")
    r.add_argument("--fields", required=True, metavar="LIST",
                   help="the fields it allows, comma-separated (e.g. first_name,last_name,dob,event_start,charge)")
    r.add_argument("--start", required=True, metavar="DATE", help="its first day, YYYY-MM-DD")
    r.add_argument("--end", metavar="DATE", help="its last day (default: open-ended until ended)")
    r = actions.add_parser("tie", help="put a source under an agreement ('none' to release it)")
    r.add_argument("source", metavar="SOURCE")
    r.add_argument("agreement", metavar="AGREEMENT|none")
    r = actions.add_parser("end", help="end an agreement (imports after its last day are refused)")
    r.add_argument("name", metavar="NAME")
    r.add_argument("--on", metavar="DATE", help="its last day (default: today)")
    r.add_argument("--note", metavar="TEXT", help="why it ended")

    p = _store_command(sub, "purge", cmd_purge, "purge records past their source's retention, or every record of "
                       "one person (admins; asks for a confirmation; audited with counts)")
    p.description = ("Purged records are deleted with what names them (reject-report rows, review pairs and "
                     "decisions), and the file is compacted so nothing of them stays in free pages. Retention runs "
                     "from when a record was imported or last changed; set it with `sources --set NAME "
                     "--retention YEARS` (shelter/HMIS: 7 years by default, other sources: none).")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--expired", action="store_true", help="what is past retention")
    which.add_argument("--person", metavar="ID", help="every record of this person (P000123)")
    p.add_argument("--dry-run", action="store_true", help="with --expired: only list what would be purged")
    p.add_argument("--on", metavar="DATE", help="with --expired: judge retention as of this day (default today)")
    p.add_argument("--yes", action="store_true", help="do not ask for a confirmation")

    p = _store_command(sub, "disclose", cmd_disclose, "export a person's records to a party, only under an active "
                       "consent (PDF with the 42 CFR 2.32 notice when Part 2 records are in it)")
    p.add_argument("--person", required=True, metavar="ID")
    p.add_argument("--to", required=True, metavar="PARTY", help="the receiving party's key (see `county`)")
    p.add_argument("--categories", required=True, metavar="LIST", help="information categories, e.g. jail,hmis")
    p.add_argument("--out", required=True, metavar="FILE.pdf")

    p = _store_command(sub, "report", cmd_report, "write the de-identified coordinating-council report (PDF; counts "
                       "only, small counts suppressed)")
    p.add_argument("--from", dest="period_from", metavar="DATE", help="first day of the period (default: 12 months "
                   "before --to)")
    p.add_argument("--to", dest="period_to", metavar="DATE", help="last day of the period (default: the latest record)")
    p.add_argument("--rule", metavar="NAME", help="the frequent-utilizer rule (default: the county's, see "
                   "report-settings)")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--xlsx", metavar="FILE.xlsx", help="also write the aggregate tables, suppressed, for an open-data "
                   "portal")

    p = _store_command(sub, "report-settings", cmd_report_settings, "show or set the report settings: county name, "
                       "frequent-utilizer rule, per-day costs, population by race and ethnicity")
    p.add_argument("--county", metavar="NAME")
    p.add_argument("--rule", metavar="NAME", help="a rule template (e.g. long_beach) or a rule .toml file")
    p.add_argument("--threshold", type=int, metavar="N", help="counts from 1 to N are hidden (default 10)")
    p.add_argument("--cost", action="append", metavar="SOURCE=DOLLARS", help="cost per day, e.g. jail=112.50 "
                   "(repeat for each source)")
    p.add_argument("--population", metavar="FILE", help="county residents by race and ethnicity: a csv with columns "
                   "group,population, or a settings .toml with a [population] table")
    p.add_argument("--load", metavar="FILE.toml", help="replace the settings with this file (see --example)")
    p.add_argument("--example", action="store_true", help="print an example settings file and exit")

    p = sub.add_parser("review", help="the review queue: list pairs, decide, undo",
                       description="resolve uncertain matches; decisions bind every later link run")
    review_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = _store_command(review_sub, "list", cmd_review, "the pairs left to review, most consequential first")
    r.add_argument("--json", action="store_true", help="a JSON list (pair_id, probability, a, b ...)")
    r = _store_command(review_sub, "decide", cmd_review, "answer one pair")
    r.add_argument("pair_id", metavar="PAIR_ID")
    r.add_argument("decision", choices=("same", "different", "unsure"))
    r.add_argument("--note", metavar="TEXT")
    _store_command(review_sub, "undo", cmd_review, "take back the latest decision")

    return parser


def self_test() -> int:
    from ddj_desktop.selftest import SelfTestFailed, run_self_test

    try:
        run_self_test()
    except SelfTestFailed as exc:
        print(f"\n{exc}", file=sys.stderr)
        return exc.exit_code
    return 0


def start_desktop(argv: list[str]) -> int:
    """Open the desktop application (Qt loads only now; the core never imports it)."""
    try:
        gui = importlib.import_module("ddj_desktop.gui.app")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("ddj_desktop.gui"):
            print("The desktop application is not part of this build yet; see `ddj-desktop --help` for the "
                  "commands.", file=sys.stderr)
            return 2
        raise
    return gui.main(argv)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    if args.command is None:
        return start_desktop(sys.argv[1:] if argv is None else list(argv))
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\nInterrupted: the store is as it was before this command.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Cancelled as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except DdjError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(exc.hint, file=sys.stderr)
        return exc.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    if getattr(sys, "frozen", False):  # a frozen build's worker processes start here (see gui/processes.py)
        import multiprocessing

        multiprocessing.freeze_support()
    return run(argv)
