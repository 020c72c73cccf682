"""A mypy plugin for one gap in PySide6's stubs: constructor keywords.

PySide6 lets any QObject constructor set a Qt property or connect a signal by keyword, for
the class's own properties and signals and for inherited ones
(``QLabel(objectName="Muted")``, ``QShortcut(key, parent, activated=slot)``,
``QDateEdit(calendarPopup=True)``). The generated stubs list only the class's own
properties, so every inherited one was a false ``call-overload`` error. This plugin adds,
to each overload of a PySide6 class's constructor, the keyword-only properties of its
PySide6 base classes' constructors (with their stub types) and one ``Callable[..., object]``
keyword (the slot) per signal. Keywords a signature already has stay as the stubs declare
them. Only calls of a PySide6 class itself are widened: ``super().__init__(...)`` and our
own subclasses keep their declared signatures.
"""

from collections.abc import Callable

from mypy.nodes import ARG_NAMED_OPT, ARG_STAR, ARG_STAR2, FuncBase, TypeInfo, Var
from mypy.options import Options
from mypy.plugin import FunctionSigContext, Plugin
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    Overloaded,
    Type,
    TypeOfAny,
    get_proper_type,
)

_SIGNAL = "PySide6.QtCore.Signal"


def _own_keywords(info: TypeInfo) -> dict[str, Type]:
    """The keyword-only arguments of a class's own ``__init__`` overloads."""
    found: dict[str, Type] = {}
    symbol = info.names.get("__init__")
    node = symbol.node if symbol else None
    init_type = get_proper_type(node.type) if isinstance(node, FuncBase) else None
    overloads: list[CallableType] = []
    if isinstance(init_type, CallableType):
        overloads = [init_type]
    elif isinstance(init_type, Overloaded):
        overloads = init_type.items
    for sig in overloads:
        for kind, name, arg_type in zip(sig.arg_kinds, sig.arg_names, sig.arg_types, strict=True):
            if kind == ARG_NAMED_OPT and name is not None:
                found.setdefault(name, arg_type)
    return found


def _signals(info: TypeInfo) -> list[str]:
    """The names of the signals a class declares (``name: ClassVar[Signal]``)."""
    names = []
    for name, symbol in info.names.items():
        node = symbol.node
        if isinstance(node, Var) and node.type is not None:
            declared = get_proper_type(node.type)
            if isinstance(declared, Instance) and declared.type.fullname == _SIGNAL:
                names.append(name)
    return names


class PySide6KeywordsPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._keywords: dict[str, dict[str, Type]] = {}

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        if fullname.startswith("PySide6."):
            return self._add_keywords
        return None

    def _keywords_of(self, info: TypeInfo, slot: CallableType) -> dict[str, Type]:
        """Every property and signal keyword the class accepts, inherited ones included."""
        cached = self._keywords.get(info.fullname)
        if cached is not None:
            return cached
        keywords: dict[str, Type] = {}
        for base in info.mro:
            if not base.fullname.startswith("PySide6."):
                continue
            for name, arg_type in _own_keywords(base).items():
                keywords.setdefault(name, arg_type)
            for name in _signals(base):
                keywords.setdefault(name, slot)
        self._keywords[info.fullname] = keywords
        return keywords

    def _add_keywords(self, ctx: FunctionSigContext) -> FunctionLike:
        sig = ctx.default_signature
        made = get_proper_type(sig.ret_type)
        if not sig.is_type_obj() or not isinstance(made, Instance) or ARG_STAR2 in sig.arg_kinds:
            return sig
        any_type = AnyType(TypeOfAny.special_form)
        slot = CallableType(
            [any_type, any_type],
            [ARG_STAR, ARG_STAR2],
            [None, None],
            ctx.api.named_generic_type("builtins.object", []),
            ctx.api.named_generic_type("builtins.function", []),
            is_ellipsis_args=True,
        )
        present = set(sig.arg_names)
        extra = [
            (name, arg_type)
            for name, arg_type in self._keywords_of(made.type, slot).items()
            if name not in present
        ]
        if not extra:
            return sig
        return sig.copy_modified(
            arg_types=[*sig.arg_types, *(arg_type for _, arg_type in extra)],
            arg_kinds=[*sig.arg_kinds, *(ARG_NAMED_OPT for _ in extra)],
            arg_names=[*sig.arg_names, *(name for name, _ in extra)],
        )


def plugin(version: str) -> type[Plugin]:
    return PySide6KeywordsPlugin
