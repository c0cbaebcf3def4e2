"""Read a user's claims file (``.toml``, or ``.py`` for claims that need code) into ledger claims.

Every problem is one :class:`~theorylab.errors.ConfigError` line naming the file or ``claims[ID].field``. The
contract (keys, domain grammar, the ``.py`` form) is in ``docs/user-claims.md``.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sympy as sp

from theorylab.claims.model import Claim
from theorylab.claims.user.check import DEFAULT_EXAMPLES, UserClaim
from theorylab.claims.user.domain import parse_domain
from theorylab.claims.user.expressions import parse_side
from theorylab.claims.user.numeric import RELATIONS
from theorylab.errors import ConfigError

__all__ = ["KEYS", "load_claims", "parse_claims"]

#: The keys of one claim: required ones first.
REQUIRED = ("id", "statement", "lhs", "rhs")
KEYS = (*REQUIRED, "relation", "domain", "source", "location", "examples", "rtol")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_MAX_EXAMPLES = 100_000


def load_claims(path: str | Path) -> list[Claim]:
    """The claims of ``path`` (``.toml`` or ``.py``) as ledger claims, validated; ConfigError otherwise."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"--claims: no such file {str(path)!r}")
    if not path.is_file():
        raise ConfigError(f"--claims: {str(path)!r} is not a file")
    if path.suffix == ".toml":
        entries = _read_toml(path)
    elif path.suffix == ".py":
        entries = _read_py(path)
    else:
        raise ConfigError(f"--claims: {str(path)!r} must end in .toml or .py")
    return [c.to_claim() for c in parse_claims(entries, source=path.name)]


def _read_toml(path: Path) -> list[Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({' '.join(str(exc).split())})") from None
    unknown = sorted(set(data) - {"claim"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r} (claims are [[claim]] tables)")
    claims = data.get("claim")
    if claims is None:
        raise ConfigError(f"{path}: no claims (add [[claim]] tables; see docs/user-claims.md)")
    if not isinstance(claims, list):
        raise ConfigError(f"{path}: 'claim' must be an array of tables, written [[claim]]")
    return claims


def _read_py(path: Path) -> list[Any]:
    """Import the module at ``path`` (the user's own code: it runs) and return its ``CLAIMS`` list."""
    name = f"theorylab_user_claims_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's module failed: one line naming it, not a traceback
        raise ConfigError(f"{path}: importing it failed ({type(exc).__name__}: {' '.join(str(exc).split())})") from None
    finally:
        sys.modules.pop(name, None)
    claims = getattr(module, "CLAIMS", None)
    if claims is None:
        raise ConfigError(f"{path}: defines no CLAIMS list")
    if not isinstance(claims, list | tuple):
        raise ConfigError(f"{path}: CLAIMS must be a list of dicts, got {type(claims).__name__}")
    return list(claims)


def parse_claims(entries: list[Any], *, source: str) -> list[UserClaim]:
    """Validate raw claim tables (from TOML or a ``.py`` CLAIMS list) into :class:`UserClaim` objects."""
    if not entries:
        raise ConfigError(f"{source}: no claims")
    seen: dict[str, int] = {}
    out = []
    for index, raw in enumerate(entries, start=1):
        label = f"claims[#{index}]"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{label}: must be a table (dict) of keys, got {type(raw).__name__}")
        claim_id = raw.get("id")
        if claim_id is None:
            raise ConfigError(f"{label}.id: missing")
        if not isinstance(claim_id, str) or not _ID.fullmatch(claim_id):
            raise ConfigError(f"{label}.id: must be a string of letters, digits and . _ : - , got {claim_id!r}")
        where = f"claims[{claim_id}]"
        if claim_id in seen:
            raise ConfigError(f"{where}.id: duplicate id (also claim #{seen[claim_id]})")
        seen[claim_id] = index
        out.append(_parse_one(raw, where, source))
    return out


def _text(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value is None:
        raise ConfigError(f"{where}.{key}: missing")
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key}: must be a string, got {type(value).__name__}")
    return value


def _parse_one(raw: Mapping[str, Any], where: str, source: str) -> UserClaim:
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    for key in REQUIRED:
        if key not in raw:
            raise ConfigError(f"{where}.{key}: missing")
    statement = _text(raw, "statement", where)
    relation = _text(raw, "relation", where, "=")
    if relation not in RELATIONS:
        raise ConfigError(f"{where}.relation: must be one of = <= < >= >, got {relation!r}")
    relation = RELATIONS[relation]
    domain = parse_domain(raw.get("domain"), f"{where}.domain")
    sides = {}
    for key in ("lhs", "rhs"):
        value = raw[key]
        if callable(value):
            sides[key] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            sides[key] = sp.nsimplify(value, rational=True) if isinstance(value, float) else sp.Integer(value)
        else:
            sides[key] = parse_side(value, domain.names, f"{where}.{key}")
    lhs, rhs = sides["lhs"], sides["rhs"]
    symbolic = not (callable(lhs) or callable(rhs))
    if symbolic:
        lm, rm = isinstance(lhs, sp.MatrixBase), isinstance(rhs, sp.MatrixBase)
        if lm != rm or (lm and lhs.shape != rhs.shape):
            shape = lambda s: f"a {s.shape[0]}x{s.shape[1]} matrix" if isinstance(s, sp.MatrixBase) else "a scalar"  # noqa: E731
            raise ConfigError(f"{where}.rhs: is {shape(rhs)} but lhs is {shape(lhs)}")
        if lm and relation != "=":
            raise ConfigError(f"{where}.relation: matrix claims support only '=', got {relation!r}")
    examples = raw.get("examples", DEFAULT_EXAMPLES)
    if isinstance(examples, bool) or not isinstance(examples, int) or not 1 <= examples <= _MAX_EXAMPLES:
        raise ConfigError(f"{where}.examples: must be an integer in [1, {_MAX_EXAMPLES}], got {examples!r}")
    rtol = raw.get("rtol")
    if rtol is not None:
        if symbolic:
            raise ConfigError(f"{where}.rtol: only claims with a callable side take rtol (symbolic sides use "
                              "theorylab.tolerances.USER_CLAIM_RTOL)")
        if isinstance(rtol, bool) or not isinstance(rtol, int | float) or not (0 < rtol < 1) or math.isnan(rtol):
            raise ConfigError(f"{where}.rtol: must be a number in (0, 1), got {rtol!r}")
    text = {k: (getattr(v, "__name__", "callable") + "(...)" if callable(v) else str(raw[k]))
            for k, v in sides.items()}
    return UserClaim(
        id=raw["id"], statement=statement.strip(), lhs=lhs, rhs=rhs, lhs_text=text["lhs"], rhs_text=text["rhs"],
        relation=relation, domain=domain, source=_text(raw, "source", where, source),
        location=_text(raw, "location", where, ""), examples=examples, rtol=None if rtol is None else float(rtol),
    )
