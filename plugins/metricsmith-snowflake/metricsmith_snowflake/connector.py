"""The `snowflake` connector: `snowflake("warehouse", table="ANALYTICS.PUBLIC.EVENTS")` or
`snowflake("warehouse", query="select ...")`, where `warehouse` is a connection of type
`snowflake` (connect.py lists its settings).

The reader sends Snowflake SQL built with sqlglot (metricsmith.plugins.sql_source): the
schema from a `LIMIT 0` statement, the rows with only the columns and the time range asked for.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
from attrs import frozen
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.warehouse import AdbcDriver, WarehouseConnector

from metricsmith_snowflake.connect import DRIVER, label


@frozen
class SnowflakeConnector(WarehouseConnector):
    name: str = "snowflake"
    description: str = (
        'A table or a query of Snowflake through a named connection: snowflake("warehouse", '
        'table="db.schema.table") or query="select ..."'
    )
    dialect: ClassVar[str] = "snowflake"
    driver: ClassVar[AdbcDriver] = DRIVER
    example_connection: ClassVar[str] = "warehouse"

    def normalise(self, table: pa.Table) -> pa.Table:
        return integers_as_int64(table)

    def test_connection(self, connection: Connection) -> str:
        fetch = DRIVER.fetcher(connection, connection.name)
        reached = fetch(
            "SELECT CURRENT_ACCOUNT() AS account, CURRENT_USER() AS user_name, "
            "CURRENT_ROLE() AS role, CURRENT_WAREHOUSE() AS warehouse",
            "testing it",
        ).to_pylist()[0]
        account, user, role, warehouse = reached.values()
        return (
            f"{label(connection)}: Snowflake account {account} as {user} "
            f"(role {role}, warehouse {warehouse})"
        )


def integers_as_int64(table: pa.Table) -> pa.Table:
    """NUMBER columns without decimals (Snowflake's integers, NUMBER(38,0)) as int64, the type
    metricsmith counts with; a value beyond 64 bits is refused by the cast, never wrapped.
    Columns with decimals stay exact decimals."""
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type) and field.type.scale == 0:
            table = table.set_column(index, field.name, table.column(index).cast(pa.int64()))
    return table
