"""The frequent-utilizer page on the sample county: the rule editor's form and text edit one rule, the list size
follows the edits, problems show where the rule is typed, an edited rule is saved, and the comparison with an
earlier list shows who is new and who dropped off."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from ddj_desktop import demo
from ddj_desktop.gui.main_window import MainWindow
from ddj_desktop.gui.utilizers_page import UtilizersPage, rule_numbers
from ddj_desktop.utilizers import parse_rule, template_text
from ddj_desktop.workspace import Workspace


@pytest.fixture(scope="session")
def county_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample county, imported and linked once; tests get a copy each."""
    result = demo.build_sample_county(tmp_path_factory.mktemp("county"))
    path = result.workspace.path
    result.workspace.close()
    return Path(path)


@pytest.fixture
def county(county_store: Path, tmp_path: Path):
    copy = tmp_path / "county.ddj"
    shutil.copyfile(county_store, copy)
    ws = Workspace.open(copy, demo.DEMO_PASSPHRASE)
    yield ws
    ws.close()


def open_page(qtbot, ws: Workspace) -> UtilizersPage:  # type: ignore[no-untyped-def]
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    page = window.show_page("Frequent utilizers")
    assert isinstance(page, UtilizersPage)
    return page


def choose(page: UtilizersPage, key: str) -> None:
    page.rule.setCurrentIndex(page.rule.findData(key))


def spin_for(page: UtilizersPage, label: str):  # type: ignore[no-untyped-def]
    return next(s for s in page.editor.spins if s.accessibleName() == label)


def size_shown(page: UtilizersPage) -> int | None:
    text = page.size.text()
    if "would be on the list" not in text or "Counting" in text:
        return None
    return int(text.split("<b>")[1].split(" ")[0].replace(",", ""))


def test_numbers_of_a_rule_are_found_with_readable_labels() -> None:
    text = template_text("hennepin_fuse")
    numbers = {n.label: text[n.start:n.end] for n in rule_numbers(text)}
    assert numbers["Look-back window"] == "5"
    assert numbers["jail bookings: at least"] == "4"
    assert numbers["shelter stays: more than"] == "4"
    assert numbers["shelter days 3y: at least"] == "365"
    assert numbers["on probation: at least"] == "1"
    # a number in a comment or a string is not offered
    assert not rule_numbers('# at_least = 3\nname = "at_least = 4"\n')


def test_changing_a_threshold_changes_the_list_size(qtbot, county: Workspace, shown) -> None:
    page = open_page(qtbot, county)
    choose(page, "generic_ddj")
    as_of = page._as_of()
    shipped = county.utilizer_list_size("generic_ddj", as_of)
    qtbot.waitUntil(lambda: size_shown(page) == shipped, timeout=10_000)

    contacts = spin_for(page, "contacts: at least")
    assert contacts.value() == 6
    contacts.setFocus()
    qtbot.keyClick(contacts, Qt.Key.Key_Up)  # 7 contacts: fewer people
    assert "at_least = 7" in page.editor.toml()
    edited = parse_rule(page.editor.toml())
    fewer = county.utilizer_list_size(edited, as_of)
    assert fewer < shipped
    qtbot.waitUntil(lambda: size_shown(page) == fewer, timeout=10_000)
    assert f"was {shipped:,}" in page.size.text()
    # the edit is the rule's: the comments of the template are still there and its version should go up
    assert page.editor.toml().startswith("# Source: NACo")
    assert "raise its version" in page.problems.text()

    spin_for(page, "Version").setValue(2)
    qtbot.waitUntil(lambda: not page.problems.isVisible(), timeout=5_000)

    # typing in the text moves the form's spin box too
    page.editor.set_text(page.editor.toml().replace("window_months = 12", "window_months = 24"))
    assert spin_for(page, "Look-back window").value() == 24
    longer = county.utilizer_list_size(parse_rule(page.editor.toml()), as_of)
    qtbot.waitUntil(lambda: size_shown(page) == longer, timeout=10_000)

    # the list made is the edited rule's
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result is not None, timeout=30_000)
    assert len(page.result.people) == longer
    assert page.result.rule_version == 2
    assert not shown.errors


def test_an_invalid_edit_shows_the_problem_and_blocks_the_list(qtbot, county: Workspace, shown) -> None:
    page = open_page(qtbot, county)
    choose(page, "generic_ddj")
    qtbot.waitUntil(lambda: size_shown(page) is not None, timeout=10_000)
    page.editor.set_text(page.editor.toml().replace("at_least = 6", "at_leest = 6"))
    qtbot.waitUntil(lambda: "cannot be used" in page.problems.text(), timeout=5_000)
    assert "at_leest" in page.problems.text()
    assert not page.make_button.isEnabled() and not page.save_rule_button.isEnabled()
    assert "once the rule is fixed" in page.size.text()

    page.editor.set_text("name = \n")
    qtbot.waitUntil(lambda: "not valid TOML" in page.problems.text(), timeout=5_000)

    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    assert not page.problems.isVisible() and page.make_button.isEnabled()
    assert not shown.errors


def test_the_edited_rule_is_saved_as_a_toml_file(qtbot, county: Workspace, shown, tmp_path: Path) -> None:
    page = open_page(qtbot, county)
    choose(page, "long_beach")
    spin_for(page, "bookings and citations: at least").setValue(15)
    shown.file_to_save = tmp_path / "our rule"
    qtbot.mouseClick(page.save_rule_button, Qt.MouseButton.LeftButton)
    saved = parse_rule((tmp_path / "our rule.toml").read_text(encoding="utf-8"))
    assert next(saved.leaves()).threshold == 15
    # and it opens again as a rule file
    shown.files_to_open = [tmp_path / "our rule.toml"]
    qtbot.mouseClick(page.open_rule_button, Qt.MouseButton.LeftButton)
    assert page.rule.currentText() == "File: our rule.toml"
    assert spin_for(page, "bookings and citations: at least").value() == 15
    qtbot.waitUntil(lambda: size_shown(page) is not None, timeout=10_000)


def test_comparison_shows_who_is_new_and_who_dropped(qtbot, county: Workspace, shown, tmp_path: Path) -> None:
    page = open_page(qtbot, county)
    choose(page, "generic_ddj")
    as_of = page._as_of()
    earlier = as_of.replace(month=as_of.month - 3) if as_of.month > 3 else as_of.replace(year=as_of.year - 1)
    # keep an earlier list, then compare today's with it
    page.as_of.setDate(QDate(earlier.year, earlier.month, earlier.day))
    page.keep_run.setChecked(True)
    page.make_list()
    qtbot.waitUntil(lambda: page.result is not None and page.result.run_id is not None, timeout=30_000)
    page.as_of.setDate(QDate(as_of.year, as_of.month, as_of.day))
    assert page.compare_with.currentData() == page.result.run_id  # the kept list is offered first
    qtbot.mouseClick(page.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.comparison is not None, timeout=30_000)
    expected = county.compare_utilizer_lists("generic_ddj", as_of, previous_as_of=earlier).counts()
    assert expected["new"] and expected["dropped"]  # the sample county's list changes over three months
    text = page.comparison_summary.text()
    assert f"{expected['new']:,} new" in text and f"{expected['dropped']:,} dropped off" in text
    assert f"saved run {page.result.run_id}" in text

    page.show_status.setCurrentIndex(page.show_status.findData("new"))
    assert page.changes.rowCount() == expected["new"]
    assert {page.changes.index(r, 0).data() for r in range(page.changes.rowCount())} == {"new"}
    page.show_status.setCurrentIndex(page.show_status.findData("dropped"))
    assert page.changes.rowCount() == expected["dropped"]

    # against a chosen date instead of a kept list
    page.compare_with.setCurrentIndex(page.compare_with.findData("date"))
    assert page.earlier.isEnabled()
    page.earlier.setDate(QDate(earlier.year, earlier.month, earlier.day))
    page.comparison = None
    page.compare()
    qtbot.waitUntil(lambda: page.comparison is not None, timeout=30_000)
    assert page.comparison.counts() == expected

    shown.file_to_save = tmp_path / "compared.csv"
    qtbot.mouseClick(page.export_comparison_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / "compared.csv").exists(), timeout=10_000)
    assert "dropped" in (tmp_path / "compared.csv").read_text(encoding="utf-8")

    # a person's records are one double-click away from the comparison too
    page._open_changed_person(page.changes.index(0, 0))
    assert page.window_.current_page().title == "People"
    assert not shown.errors


def test_the_list_fits_the_window_at_1280_by_800_without_scrolling_sideways(qtbot, county: Workspace) -> None:
    window = MainWindow(county)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    page = window.show_page("Frequent utilizers")
    qtbot.waitUntil(lambda: not window.workers.busy(), timeout=20_000)
    page.make_list()
    qtbot.waitUntil(lambda: page.result is not None and page.people.rowCount() > 0, timeout=30_000)
    qtbot.wait(50)  # the splitter and the table laid out
    view, header = page.view, page.view.horizontalHeader()
    columns = range(page.people.columnCount())
    assert page.people.columnCount() >= 8  # rank, person, three measures or more, first, latest, why
    assert sum(view.columnWidth(c) for c in columns) <= view.viewport().width(), "the list scrolls sideways"
    assert not view.horizontalScrollBar().isVisible()
    for c in columns:  # every header readable in full
        assert view.columnWidth(c) >= header.sectionSizeFromContents(c).width(), page.people.headerData(
            c, Qt.Orientation.Horizontal)
    for c in range(page.people.columnCount() - 1):  # numbers and dates in full; only the reasons are cut
        assert view.columnWidth(c) >= view.sizeHintForColumn(c), page.people.headerData(c, Qt.Orientation.Horizontal)
    # the reasons, cut in the table, are there in full for the person picked
    view.selectRow(0)
    first = page.result.people[0]
    assert first.why() and first.why() in page.reasons.text()
