"""Import normalizers: pure functions that turn agency cells into one spelling per value (work in progress)."""
