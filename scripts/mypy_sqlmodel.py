"""mypy plugin: a table's field read on the class is a column, as it is at run time.

SQLModel declares `Site.id` as `int | None`, so `Site.id.in_(...)`, `order_by(Site.name)` or
`join(Team, Team.id == Site.team_id)` would need `col(...)` around every column. Read on the
class (never on a row), a field of an SQLModel subclass is typed `InstrumentedAttribute[<its
type>]` instead, which is what SQLAlchemy puts there; rows keep their plain types.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from mypy.nodes import TypeInfo, Var
from mypy.plugin import AttributeContext, Plugin
from mypy.types import Instance, Type

SQLMODEL = "sqlmodel.main.SQLModel"
MAPPED = "sqlalchemy.orm.attributes.InstrumentedAttribute"


class SQLModelColumns(Plugin):
    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        owner, _, name = fullname.rpartition(".")
        sym = self.lookup_fully_qualified(owner)
        if sym is None or not isinstance(sym.node, TypeInfo) or not _is_field(sym.node, name):
            return None
        mapped = self.lookup_fully_qualified(MAPPED)
        assert mapped is not None and isinstance(mapped.node, TypeInfo), "sqlmodel imports it"
        return partial(_as_column, mapped.node)


def _is_field(info: TypeInfo, name: str) -> bool:
    """A data field declared by a subclass of SQLModel (not SQLModel's own attributes)."""
    if name.startswith("_") or not info.has_base(SQLMODEL):
        return False
    for base in info.mro:
        if name in base.names:
            node = base.names[name].node
            return (
                base.fullname != SQLMODEL
                and base.has_base(SQLMODEL)
                and isinstance(node, Var)
                and not node.is_classvar
                and not node.is_property
            )
    return False


def _as_column(mapped: TypeInfo, ctx: AttributeContext) -> Type:
    if ctx.is_lvalue:
        return ctx.default_attr_type
    return Instance(mapped, [ctx.default_attr_type])


def plugin(version: str) -> type[Plugin]:
    return SQLModelColumns
