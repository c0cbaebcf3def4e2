r"""Safe parsing of a user's expression (a claim's ``lhs`` / ``rhs``) into sympy.

User text is never given to :func:`eval`. It is first parsed by Python's own parser (:func:`ast.parse`, which
only builds a tree and runs nothing) and every node of the tree is checked against a whitelist: numbers, names,
``+ - * / ** ^``, unary signs, calls of whitelisted functions by name, and tuples/lists (for ``Sum`` limits and
``Matrix`` rows). Attribute access (``().__class__``), subscripts, strings, lambdas, comprehensions, keywords,
``**kwargs``, comparisons and any name containing ``__`` are refused. Only a tree that passes is handed to
:func:`sympy.parsing.sympy_parser.parse_expr`, with ``global_dict`` reduced to the whitelisted functions and
``{"__builtins__": {}}``, ``local_dict`` to the declared symbols, and the transformations ``auto_number``,
``rationalize`` (a decimal literal is the exact rational it spells: ``0.1`` is 1/10, not a 15-digit float that would
create a false counterexample at 50 digits) and ``convert_xor`` (``^`` is a power, as in mathematics). There is no
``auto_symbol``: an undeclared name is an error, never a new symbol.

Why not ``sympify``/``parse_expr`` alone: both evaluate Python code built from the text, and their
``local_dict``/``global_dict`` do not stop attribute access (``(1).__class__``); sympy's documentation warns
against calling them on untrusted input. The tree check is what makes the parse safe; ``parse_expr`` then only
turns a vetted arithmetic expression into sympy objects.

Bound variables: the first element of each limit tuple of ``Sum``, ``Product`` and ``Integral``
(``Sum(f, (j, 1, k))``) is a bound variable; it need not be declared and is an integer symbol for ``Sum`` and
``Product`` and a real one for ``Integral``.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp
from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr, rationalize

from theorylab.errors import ConfigError

__all__ = ["FUNCTIONS", "CONSTANTS", "IDENTIFIER", "parse_side", "check_identifier"]


def _inv(m: sp.Basic) -> sp.Basic:
    """Matrix inverse of an explicit matrix (``inv(A)``; ``A.inv()`` is attribute access, which is refused)."""
    if not isinstance(m, sp.MatrixBase):
        return 1 / m
    return m.inv()


#: Functions a user may call, by name. Matrix helpers are functions because attribute access is refused.
FUNCTIONS: Mapping[str, Callable[..., sp.Basic]] = {
    # elementary
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "Abs": sp.Abs, "abs": sp.Abs, "sign": sp.sign,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "Min": sp.Min, "Max": sp.Max,
    "floor": sp.floor, "ceiling": sp.ceiling, "factorial": sp.factorial, "binomial": sp.binomial,
    "Gamma": sp.gamma, "loggamma": sp.loggamma, "erf": sp.erf, "erfc": sp.erfc, "Rational": sp.Rational,
    # calculus; sums, products, integrals (bound variable = first element of each limit tuple)
    "diff": sp.diff, "Sum": sp.Sum, "Product": sp.Product, "Integral": sp.Integral,
    # matrices
    "Matrix": sp.Matrix, "eye": sp.eye, "zeros": sp.zeros, "ones": sp.ones, "diag": sp.diag,
    "det": sp.det, "trace": sp.trace, "transpose": sp.transpose, "inv": _inv,
}

#: Named constants a user may write.
CONSTANTS: Mapping[str, sp.Basic] = {"pi": sp.pi, "E": sp.E, "oo": sp.oo}

#: Functions whose limit tuples bind a variable, and the assumptions of that variable.
_BINDERS: Mapping[str, dict[str, bool]] = {
    "Sum": {"integer": True},
    "Product": {"integer": True},
    "Integral": {"real": True},
}

#: A symbol or matrix name: ASCII letter first, then letters, digits or single underscores.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*")

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitXor, ast.USub, ast.UAdd)

#: The names parse_expr's auto_number transformation inserts (numbers become Integer(...), Float(...)).
_PARSER_NAMES = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational}


def check_identifier(name: str, where: str) -> None:
    """Refuse a declared name that is not a plain identifier, or that shadows a function, constant or keyword."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise ConfigError(f"{where}: {name!r} is not a valid name (letters, digits and single '_', letter first)")
    if keyword.iskeyword(name) or name in FUNCTIONS or name in CONSTANTS or name in _PARSER_NAMES:
        raise ConfigError(f"{where}: {name!r} is a reserved name (a function, constant or keyword); rename it")


@dataclass
class _Vetter(ast.NodeVisitor):
    """Walk a parsed tree; raise ConfigError at the first node outside the whitelist."""

    where: str
    declared: Mapping[str, object]
    bound: dict[str, dict[str, bool]]

    def fail(self, what: str) -> None:
        raise ConfigError(f"{self.where}: {what}")

    def generic_visit(self, node: ast.AST) -> None:
        allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Tuple, ast.List, ast.Load, *_OPERATORS)
        if not isinstance(node, allowed):
            self.fail(f"{type(node).__name__.lower()} is not allowed in an expression "
                      "(only numbers, names, + - * / ** ^, calls of known functions, tuples and lists)")
        super().generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            self.fail(f"the literal {node.value!r} is not a number")

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if "__" in name:
            self.fail(f"the name {name!r} is not allowed (no '__')")
        if name in self.declared or name in CONSTANTS or name in self.bound:
            return
        if name in FUNCTIONS:
            self.fail(f"{name!r} is a function; call it, e.g. {name}(x)")
        self.fail(f"unknown name {name!r} (declare it in [claim.domain])")

    def visit_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            self.fail("only functions called by name are allowed (no attribute access, no calls of calls)")
        name = node.func.id
        if "__" in name:
            self.fail(f"the name {name!r} is not allowed (no '__')")
        if name not in FUNCTIONS:
            if name in self.declared:
                self.fail(f"{name!r} is a declared symbol, not a function")
            self.fail(f"unknown function {name!r}")
        if node.keywords:
            self.fail(f"keyword arguments are not allowed (in a call of {name})")
        if name in _BINDERS:
            for limit in node.args[1:]:
                if isinstance(limit, ast.Tuple) and limit.elts and isinstance(limit.elts[0], ast.Name):
                    var = limit.elts[0].id
                    if "__" in var or not IDENTIFIER.fullmatch(var):
                        self.fail(f"the bound variable {var!r} is not a valid name")
                    if var in self.declared:
                        self.fail(f"the bound variable {var!r} of {name} is also declared in [claim.domain]")
                    self.bound[var] = _BINDERS[name]
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail("*args is not allowed")
            self.visit(arg)


def parse_side(text: object, declared: Mapping[str, sp.Basic], where: str) -> sp.Basic:
    """Parse one side of a claim safely.

    Parameters
    ----------
    text : str
        The expression in sympy syntax (``**`` or ``^`` for powers, explicit ``*``).
    declared : mapping of str to sympy object
        The declared names: scalar symbols (with the assumptions of their domain) and explicit matrices.
    where : str
        Prefix of error messages, e.g. ``"claims[user.x].rhs"``.

    Returns
    -------
    sympy.Basic
        The expression, unevaluated sums kept as :class:`sympy.Sum` (the checker calls ``doit``).

    Raises
    ------
    ConfigError
        One line naming ``where`` and the first offending token.
    """
    if not isinstance(text, str):
        raise ConfigError(f"{where}: must be a string (an expression in sympy syntax), got {type(text).__name__}")
    if not text.strip():
        raise ConfigError(f"{where}: is empty")
    if "__" in text:
        raise ConfigError(f"{where}: '__' is not allowed in an expression")
    if len(text) > _MAX_LENGTH:
        raise ConfigError(f"{where}: longer than {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"{where}: does not parse ({exc.msg} at column {exc.offset})") from None
    bound: dict[str, dict[str, bool]] = {}
    _Vetter(where, declared, bound).visit(tree)
    local = {**declared, **{name: sp.Symbol(name, **assumptions) for name, assumptions in bound.items()}}
    global_dict = {"__builtins__": {}, **_PARSER_NAMES, **FUNCTIONS, **CONSTANTS}
    try:
        expr = parse_expr(text.strip(), local_dict=local, global_dict=global_dict,
                          transformations=(auto_number, rationalize, convert_xor), evaluate=True)
    except Exception as exc:  # a vetted tree that sympy cannot build (wrong arity, shape mismatch, ...)
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(f"{where}: sympy cannot build it ({message[:160]})") from None
    if not isinstance(expr, sp.Basic | sp.MatrixBase):
        raise ConfigError(f"{where}: is not a sympy expression (got {type(expr).__name__})")
    return expr


#: Longest expression accepted (a guard against pathological input, far above any formula in a paper).
_MAX_LENGTH = 4000
