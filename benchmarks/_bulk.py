"""Bulk loading for the benchmark data set: executemany on SQLite, COPY on PostgreSQL.

Rows are plain tuples in the order of the given column names, with the application's own
values (str enums, aware UTC datetimes, dates, bools); each column's SQLAlchemy bind processor
turns them into what the driver stores, so the rows read back exactly as the app wrote them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table, text

CHUNK = 20_000


class BulkWriter:
    """Writes rows into tables of one connection; keeps a count per table."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.is_pg = self.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}
        self._quote = self.dialect.identifier_preparer.quote

    def write(self, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        rows = list(rows) if not isinstance(rows, list) else rows
        if not rows:
            return 0
        if self.is_pg:
            self._copy(table, columns, rows)
        else:
            self._executemany(table, columns, rows)
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        return len(rows)

    def _executemany(self, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
        procs = [table.c[name].type._cached_bind_processor(self.dialect) for name in columns]
        if any(procs):
            rows = [
                tuple(
                    v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True)
                )
                for row in rows
            ]
        names = ", ".join(self._quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {self._quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
        for start in range(0, len(rows), CHUNK):
            self.conn.exec_driver_sql(sql, rows[start : start + CHUNK])

    def _copy(self, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
        procs = [table.c[name].type._cached_bind_processor(self.dialect) for name in columns]
        if any(procs):
            rows = [
                tuple(
                    v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True)
                )
                for row in rows
            ]
        names = ", ".join(self._quote(c) for c in columns)
        raw = self.conn.connection.dbapi_connection
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {self._quote(table.name)} ({names}) FROM STDIN") as cp,
        ):
            for row in rows:
                cp.write_row(row)

    def reset_sequences(self, tables: Iterable[Table]) -> None:
        """PostgreSQL: serial ids continue after the largest id written (SQLite needs nothing)."""
        if not self.is_pg:
            return
        for table in tables:
            if "id" not in table.c or not table.c.id.autoincrement:
                continue
            name = self._quote(table.name)
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "  # noqa: S608
                    f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"
                ),
                {"t": name},
            )
