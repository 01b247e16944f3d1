"""Table models, checked with pytest-qt's modeltester: paging on demand, sorting and filtering by the store."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from ddj_desktop.gui.models import Column, ListTableModel, PagedTableModel
from ddj_desktop.gui.people import RECORD_COLUMNS
from ddj_desktop.workspace import Workspace


def paged(ws: Workspace, page: int = 50) -> PagedTableModel:
    model = PagedTableModel(
        RECORD_COLUMNS,
        lambda text, after, limit, sort, desc: ws.find_records(text, after=after, limit=limit, sort=sort,
                                                               descending=desc),
        sort_key="last_name",
    )
    model.PAGE = page
    return model


def test_records_arrive_a_page_at_a_time(qtmodeltester, jail_workspace: Workspace) -> None:
    model = paged(jail_workspace)
    model.refresh()
    total = jail_workspace.count_records()
    assert total > 1000
    assert model.rowCount() == 50
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 100
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == total
    assert not model.canFetchMore(QModelIndex())
    assert len({model.row_at(r).id for r in range(total)}) == total  # no row twice, none missing
    # The tester fetches on its own (as a view does when scrolled) after each change.
    fresh = paged(jail_workspace)
    qtmodeltester.check(fresh, force_py=True)
    fresh.set_filter("")
    qtmodeltester.check(fresh)  # and Qt's own tester


def test_sorting_and_filtering_are_done_by_the_store(qtmodeltester, jail_workspace: Workspace) -> None:
    model = paged(jail_workspace)
    model.sort(3, Qt.SortOrder.DescendingOrder)  # a view turning sorting on while it is built: nothing read yet
    assert model.rowCount() == 0 and not model.loaded
    model.set_filter("")  # the first page, in the order set: date of birth, newest first
    dobs = [model.index(r, 3).data() for r in range(model.rowCount())]
    assert [d for d in dobs if d] == sorted((d for d in dobs if d), reverse=True)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    dobs = [model.row_at(r).dob for r in range(model.rowCount())]
    assert [d for d in dobs if d] == sorted((d for d in dobs if d), reverse=True)  # across pages too
    assert model.rowCount() == jail_workspace.count_records()
    some = model.row_at(0)
    model.set_filter(some.last_name[:3])
    assert 0 < model.rowCount() <= jail_workspace.count_records(some.last_name[:3]) < jail_workspace.count_records()
    assert all((model.row_at(r).last_name or "").lower().startswith(some.last_name[:3].lower())
               or (model.row_at(r).first_name or "").lower().startswith(some.last_name[:3].lower())
               for r in range(model.rowCount()))
    qtmodeltester.check(model, force_py=True)
    before = [r.id for r in model.rows]
    model.sort(6)  # event type: not sortable (no index for it), nothing changes
    assert [r.id for r in model.rows] == before
    qtmodeltester.check(model, force_py=True)


def test_list_model_sorts_numbers_as_numbers(qtmodeltester) -> None:
    model = ListTableModel([Column("Name", lambda r: r[0]), Column("Rows", lambda r: r[1], align_right=True)])
    model.set_rows([("jail", 900), ("ed", 1200), ("ems", None)])
    qtmodeltester.check(model, force_py=True)
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, 1).data() for r in range(3)] == ["900", "1,200", ""]
    assert model.index(0, 1).data(Qt.ItemDataRole.TextAlignmentRole)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Name"
