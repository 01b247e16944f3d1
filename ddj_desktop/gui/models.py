"""Table models. Large tables fetch pages on demand (canFetchMore/fetchMore); small ones hold a list.

A model knows its columns as `Column`s (title, how to get the value from a row, the sort key the store
understands) and is reset with `set_rows` or `refresh`; views never fill cells in a loop.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object behind a table row

Index = QModelIndex | QPersistentModelIndex
_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole,
                    ROW_ROLE})


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], Any]
    sort_key: str | None = None  # for PagedTableModel: the store's name of this sort order
    align_right: bool = False
    stretch: bool = False  # takes the table's spare width (the long text column)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class _TableModel(QAbstractTableModel):
    columns: Sequence[Column] = ()

    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.rows: list[Any] = []

    def _count(self) -> int:
        return len(self.rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # A view asks each cell for ten roles or so when it measures and paints; most are answered None at once.
        if role not in _ROLES or not index.isValid() or not 0 <= index.row() < self._count():
            return None
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _display(column.value(self.row_at(index.row())))
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return self.row_at(index.row())
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section].title
        if orientation == Qt.Orientation.Vertical and 0 <= section < self._count():
            return str(section + 1)
        return None

    def row_at(self, row: int) -> Any:
        return self.rows[row]


class ListTableModel(_TableModel):
    """A small table held in memory (sources, batches, audit entries); sorting is done here."""

    sorted_by: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace every row (kept in the order the view sorts by, if it sorts)."""
        self.beginResetModel()
        self.rows = list(rows)
        if self.sorted_by is not None:
            self._sort_rows(*self.sorted_by)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.sorted_by = (column, order)
        self.layoutAboutToBeChanged.emit()
        self._sort_rows(column, order)
        self.layoutChanged.emit()

    def _sort_rows(self, column: int, order: Qt.SortOrder) -> None:
        value = self.columns[column].value

        def key(row: Any) -> tuple[bool, Any]:
            v = value(row)
            return (v is None, v if isinstance(v, int | float) else _display(v).lower())

        self.rows.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)


class PagedTableModel(_TableModel):
    """A table of any size: rows come from `fetch(filter, after, limit, sort, descending)` a page at a time.

    `after` is the last row already shown (None for the first page), so the store pages by key and a page deep in
    a million rows costs what the first one does. Sorting and filtering are done by the store and reset the model;
    a caller that finds the first page on a worker hands it over with `set_first_page`.

    The rows are kept as plain tuples of their fields (a dataclass row is rebuilt when it is asked for): the
    collector stops tracking a tuple of strings and numbers, so rows scrolled into the table add nothing to what its
    full passes walk. Kept as objects, 60,000 scrolled rows made a full pass on the GUI thread take 150 ms
    (bench/ui_responsiveness.py), and the passes grow with every page fetched.
    """

    PAGE = 200
    _packed: list[Any]
    _kind: Any = None  # the dataclass the rows are rebuilt as (None: rows are kept as they come)
    _fields: Callable[[Any], tuple[Any, ...]] | None = None
    _last: tuple[int, Any] = (-1, None)  # the row rebuilt last: a view asks for each of its cells in turn

    def __init__(
        self,
        columns: Sequence[Column],
        fetch: Callable[[str, Any, int, str, bool], list[Any]],
        parent: Any = None,
        *,
        sort_key: str | None = None,
    ) -> None:
        super().__init__(columns, parent)
        self._fetch = fetch
        self.filter_text = ""
        self.sort_key = sort_key or next((c.sort_key for c in self.columns if c.sort_key), "")
        self.descending = False
        self.exhausted = True
        self.loaded = False  # nothing asked for yet: a sort order set meanwhile fetches nothing
        self._changing = False  # views and testers may ask for more while a change is being announced

    @property
    def rows(self) -> list[Any]:  # type: ignore[override]
        return [self.row_at(r) for r in range(len(self._packed))]

    @rows.setter
    def rows(self, rows: list[Any]) -> None:
        self._packed, self._last = [], (-1, None)
        self._append(rows)

    def _append(self, rows: Sequence[Any]) -> None:
        if rows and self._kind is None and dataclasses.is_dataclass(rows[0]):
            names = [f.name for f in dataclasses.fields(rows[0])]
            kind = type(rows[0])
            if all(f.init for f in dataclasses.fields(kind)):
                self._kind = kind
                self._fields = operator.attrgetter(*names) if len(names) > 1 else lambda r: (getattr(r, names[0]),)
        if self._kind is None:
            self._packed.extend(rows)
        else:
            self._packed.extend(map(self._fields, rows))  # type: ignore[arg-type]

    def _count(self) -> int:
        return len(self._packed)

    def row_at(self, row: int) -> Any:
        if self._kind is None:
            return self._packed[row]
        if self._last[0] != row:
            self._last = (row, self._kind(*self._packed[row]))
        return self._last[1]

    def first_page(self, text: str | None = None) -> list[Any]:
        """The first page for `text` (default: the current filter) in the current order; safe on a worker."""
        return self._fetch(self.filter_text if text is None else text, None, self.PAGE, self.sort_key,
                           self.descending)

    def set_first_page(self, text: str, rows: list[Any], *, complete: bool = False) -> None:
        """Show `rows`, the first page that `text` found (`complete`: every row, there is nothing to fetch)."""
        self._changing = True
        self.beginResetModel()
        self.filter_text = text
        self.rows = list(rows)
        self.loaded = True
        self.exhausted = complete or len(self._packed) < self.PAGE
        self.endResetModel()
        self._changing = False

    def refresh(self) -> None:
        """Reset to the first page of the current filter and sort order."""
        self.set_first_page(self.filter_text, self.first_page())

    def set_filter(self, text: str) -> None:
        self.set_first_page(text, self.first_page(text))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._changing and not self.exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._changing or self.exhausted:
            return
        after = self.row_at(len(self._packed) - 1) if self._packed else None
        page = self._fetch(self.filter_text, after, self.PAGE, self.sort_key, self.descending)
        self.exhausted = len(page) < self.PAGE
        if not page:
            return
        self._changing = True
        self.beginInsertRows(QModelIndex(), len(self._packed), len(self._packed) + len(page) - 1)
        self._append(page)
        self.endInsertRows()
        self._changing = False

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort_key is None:
            return
        self.sort_key = self.columns[column].sort_key or ""
        self.descending = order == Qt.SortOrder.DescendingOrder
        if self.loaded:  # (a view that turns sorting on while it is built asks before any rows are wanted)
            self.refresh()
