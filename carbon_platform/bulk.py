"""Appending many rows fast: COPY on PostgreSQL, one executemany elsewhere. Used where the ORM's per-object
cost dominates (a million BOM lines, hundreds of thousands of footprint contributions)."""

from __future__ import annotations

import io

import pandas as pd
from django.db import connection


def insert_frame(table: str, frame: pd.DataFrame) -> int:
    """Append the rows of `frame` (columns named as the table's columns, values in final form: str for
    decimals, int, missing as NA) to `table` inside the caller's transaction; returns the row count."""
    if frame.empty:
        return 0
    columns = ", ".join(frame.columns)
    if connection.vendor == "postgresql":
        stream = io.StringIO()
        # NULL is spelled \N so that an empty string stays an empty string (NOT NULL text columns).
        frame.to_csv(stream, header=False, index=False, na_rep=r"\N")
        stream.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", stream
            )
    else:
        rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        placeholders = ", ".join(["%s"] * len(frame.columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", list(rows))
    return len(frame)


def fixed(series: pd.Series, places: int) -> pd.Series:
    """Floats as decimal text with `places` digits, rounded once, as a DecimalField of that scale stores them."""
    return series.map(f"{{:.{places}f}}".format)


def read_frame(sql: str, params: list, columns: list[str], dtypes: dict | None = None) -> pd.DataFrame:
    """Run a SELECT into a DataFrame: COPY ... TO STDOUT and pandas' CSV reader on PostgreSQL (several
    times faster than fetching a million tuples), fetchall elsewhere. NULL comes back as NaN."""
    if connection.vendor == "postgresql":
        stream = io.StringIO()
        with connection.cursor() as cursor:
            query = cursor.mogrify(sql, params).decode()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", stream)
        stream.seek(0)
        if not stream.getvalue():
            return pd.DataFrame(
                {column: pd.Series(dtype=(dtypes or {}).get(column, object)) for column in columns}
            )
        return pd.read_csv(
            stream, header=None, names=columns, dtype=dtypes, keep_default_na=False, na_values=[""]
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    return frame.astype(dtypes) if dtypes else frame
