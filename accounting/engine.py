"""The rollup engine: BOM lines x best allowed emission factor -> per-model footprints. NumPy and pandas, no Django.

Inputs are plain DataFrames (columns documented on `RollupInputs`); every step is a vectorised operation on
NumPy arrays, never a Python loop per line or per model. Factor choice per BOM line, best first:

1. the latest approved, valid declaration of the linked supplier product (primary data);
2. else the plain mean of that supplier's approved, valid declarations for the line's material (primary);
3. else, for a line linked to a product (so its route is known), the typical default for material and
   route: regional for the product's province where one exists, national otherwise (secondary);
4. else the conservative default for the material (secondary, flagged); every unlinked line lands here.

Lines of materials outside the boundary (`in_boundary` False: the `other.*` bucket that keeps a BOM's mass
complete) get level 0 and no emissions; their mass is reported, so the boundary is visible.

Line mass = `mass_kg` x `share` (share 1 when the component is single-sourced). Declared units are converted
to kg explicitly: t -> 1000 kg, kg -> 1 kg, any other unit -> its `mass_kg_per_declared_unit`.
The material-production total is A1-A3 only; module D is reported beside it, never netted in.

How it stays fast. The factor of a line depends only on its (product, material, in-boundary) "pair", and there
are a few hundred pairs against a million lines. So the choice is made once per pair (small tables), and the
line-sized work is a handful of array passes: an integer code per line for its model and its pair, the line
masses summed per (model, pair) cell with one `bincount`, and the input fingerprint. Everything a footprint
or a contribution reports is mass x a per-pair factor, so it is computed from the (model, pair) cell sums:
per-model figures as one matrix product of the cell masses with a per-pair factor table, contributions by
merging the cells of pairs that share (material, supplier, level, declaration). The per-line frame with the
factor chosen for each line (drill-downs, tests) is built only when `RollupResult.lines` is read.

The input fingerprint of a model is 32 hex digits: two 64-bit sums, modulo 2**64, over the model's lines of
a 64-bit hash of each line's inputs (line id, mass, share, product, material) and of the factor chosen for it
(level, declaration, A1-A3 and D per kg): the same whatever the order of the lines, different as soon as any
one of those changes, computed with fixed integer arithmetic (no per-process hash seed).
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

OUTSIDE_BOUNDARY_LEVEL = 0
PRIMARY_LEVELS = (1, 2)
ALL_LEVELS = (0, 1, 2, 3, 4)
CONSERVATIVE_LEVEL = 4
# kg CO2e per declared unit of each lifecycle module -> the name of its per-kg column.
MODULE_COLUMNS = {
    "A1-A3": "gwp_a1_a3_kg_co2e",
    "A4": "gwp_a4_kg_co2e",
    "C1": "gwp_c1_kg_co2e",
    "C2": "gwp_c2_kg_co2e",
    "C3": "gwp_c3_kg_co2e",
    "C4": "gwp_c4_kg_co2e",
    "D": "gwp_d_kg_co2e",
}
OTHER_MODULES = [module for module in MODULE_COLUMNS if module != "A1-A3"]
KG_PER_MASS_UNIT = {"kg": 1.0, "t": 1000.0}
SHARE_TOLERANCE = 1e-6
# Pair keys are looked up in a table, and (model, pair) cells summed into a dense model x pair grid, while
# these have at most this many entries more than there are lines (memory stays proportional to the input);
# beyond, the keys or cells that occur are hashed instead.
DENSE_CELLS_SLACK = 1 << 22

# Input fingerprint (see _fingerprint_lanes): fixed odd multipliers from splitmix64 and murmur3, so that the
# digest depends on nothing but the input values: the same in every process and on every platform.
_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MASS_MUL = _U64(0x94D049BB133111EB)
_SHARE_MUL = _U64(0xFF51AFD7ED558CCD)
_MIX_MUL = _U64(0xC4CEB9FE1A85EC53)
_MIX_SHIFTS = (_U64(32), _U64(29))
_NAN_BITS = _U64(0x7FF8000000000000)  # every NaN hashes alike, whatever its payload


class EngineInputError(ValueError):
    """The inputs cannot be rolled up as given; the message names the offending rows."""


@dataclass(frozen=True)
class RollupInputs:
    """Everything the engine reads.

    lines: line_id, model_id, component, material_id, in_boundary (bool), mass_kg, product_id (NaN if unlinked),
        share (NaN = 1)
    products: product_id, supplier_id, material_id, route, province ('' when unknown)
    declarations: approved and valid only: declaration_id, product_id, version, issue_date, declared_unit,
        declared_amount, mass_kg_per_declared_unit, and the GWP columns of MODULE_COLUMNS (NaN = not declared)
    defaults: material_id, route ('' = any), province ('' = national), basis ('typical'|'conservative'),
        kg_co2e_per_kg
    """

    lines: pd.DataFrame
    products: pd.DataFrame
    declarations: pd.DataFrame
    defaults: pd.DataFrame


@dataclass(frozen=True)
class RollupResult:
    """footprints: one row per model; contributions: model x material x supplier x level x declaration;
    lines: one row per BOM line with the factor chosen (for drill-downs and tests), built on first access."""

    footprints: pd.DataFrame
    contributions: pd.DataFrame
    line_frame: Callable[[], pd.DataFrame] = field(repr=False, compare=False)

    @cached_property
    def lines(self) -> pd.DataFrame:
        return self.line_frame()


# -- small tables: declarations, products, defaults ---------------------------------------------------------


def _per_kg(declarations: pd.DataFrame) -> np.ndarray:
    """Every module's GWP per kg of product, one column per MODULE_COLUMNS entry (declarations x 7)."""
    unit = declarations["declared_unit"].to_numpy().astype(str)
    kg_per_unit = declarations["mass_kg_per_declared_unit"].to_numpy(dtype=float, na_value=np.nan).copy()
    for name, kg in KG_PER_MASS_UNIT.items():
        kg_per_unit[unit == name] = kg
    bad = np.isnan(kg_per_unit) | (kg_per_unit <= 0)
    if bad.any():
        ids = declarations["declaration_id"].to_numpy()[bad]
        raise EngineInputError(
            "declarations with a non-mass declared unit need a positive mass per declared unit: "
            f"ids {sorted(int(i) for i in ids)[:10]}"
        )
    kg_per_declared_amount = (
        declarations["declared_amount"].to_numpy(dtype=float, na_value=np.nan) * kg_per_unit
    )
    gwp = np.stack(
        [declarations[column].to_numpy(dtype=float, na_value=np.nan) for column in MODULE_COLUMNS.values()],
        axis=1,
    ).reshape(len(declarations), len(MODULE_COLUMNS))
    return gwp / kg_per_declared_amount[:, None]


def declaration_factors_per_kg(declarations: pd.DataFrame) -> pd.DataFrame:
    """Convert every module's GWP from kg CO2e per declared unit to kg CO2e per kg of product."""
    out = declarations[["declaration_id", "product_id", "version", "issue_date"]].copy()
    out[list(MODULE_COLUMNS.values())] = _per_kg(declarations)
    return out


def _int_ids(values: np.ndarray) -> np.ndarray:
    """Ids as int64, NaN (no id) as -1."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isnan(values), -1, values).astype(np.int64)


def _find(table: list[np.ndarray], query: list[np.ndarray]) -> np.ndarray:
    """Row of `table` (columns of int codes, rows unique) matching each row of `query`, -1 where none does."""
    size = len(query[0])
    if len(table[0]) == 0 or size == 0:
        return np.full(size, -1, dtype=np.intp)
    table_key = np.zeros(len(table[0]), dtype=np.int64)
    query_key = np.zeros(size, dtype=np.int64)
    for t, q in zip(table, query, strict=True):
        uniques, inverse = np.unique(np.concatenate([t, q]), return_inverse=True)
        table_key = table_key * len(uniques) + inverse[: len(t)]
        query_key = query_key * len(uniques) + inverse[len(t) :]
    order = np.argsort(table_key, kind="stable")
    position = np.minimum(np.searchsorted(table_key[order], query_key), len(order) - 1)
    return np.where(table_key[order][position] == query_key, order[position], -1)


def _take(values: np.ndarray, rows: np.ndarray, missing=np.nan) -> np.ndarray:
    """values[rows] with `missing` where rows == -1 (1-D or 2-D values; numbers become float for NaN)."""
    dtype = object if values.dtype == object else float if missing is np.nan else values.dtype
    if len(values) == 0:
        return np.full((len(rows), *values.shape[1:]), missing, dtype=dtype)
    taken = values[np.maximum(rows, 0)].astype(dtype)
    taken[rows < 0] = missing
    return taken


@dataclass(frozen=True)
class _PairFactors:
    """The factor chosen for each distinct (product, material, in_boundary) pair of the lines."""

    product_id: np.ndarray  # float, NaN = unlinked
    material_id: np.ndarray  # int64
    supplier_id: np.ndarray  # float, NaN = none
    route: np.ndarray  # object, NaN where the product is unknown
    province: np.ndarray  # object, NaN where the product is unknown
    level: np.ndarray  # int64
    declaration_id: np.ndarray  # float, NaN unless level 1
    factors: np.ndarray  # pairs x 7, per kg, in MODULE_COLUMNS order; NaN = not declared


def _choose_factors(product_id, material_id, in_boundary, inputs: RollupInputs) -> _PairFactors:
    """The four-level choice for each distinct pair: level, declaration, factors per kg of every module."""
    declarations, products, defaults = inputs.declarations, inputs.products, inputs.defaults
    n_modules = len(MODULE_COLUMNS)
    per_kg = _per_kg(declarations)

    # Strings (routes, provinces) as codes of one shared vocabulary, so every lookup is on integer keys.
    text = {
        name: frame[column].to_numpy().astype(str)
        for name, frame, column in [
            ("product_route", products, "route"),
            ("product_province", products, "province"),
            ("default_route", defaults, "route"),
            ("default_province", defaults, "province"),
        ]
    }
    vocabulary = np.unique(np.concatenate([*text.values(), np.array([""])]))
    code = {name: np.searchsorted(vocabulary, values) for name, values in text.items()}
    empty = int(np.searchsorted(vocabulary, ""))

    # The pair's product: supplier, route, province.
    pair_product = _int_ids(product_id)
    product_ids = _int_ids(products["product_id"].to_numpy())
    product_row = _find([product_ids], [pair_product])
    product_row[pair_product < 0] = -1
    has_product = product_row >= 0
    supplier_id = _take(products["supplier_id"].to_numpy(dtype=float, na_value=np.nan), product_row)
    supplier = _int_ids(supplier_id)
    route_code = _take(code["product_route"], product_row, missing=-1)
    province_code = _take(code["product_province"], product_row, missing=-1)

    # Level 1: the latest declaration of each known product (version, then issue date, then id).
    declared_product = _int_ids(declarations["product_id"].to_numpy())
    issued = pd.to_datetime(declarations["issue_date"]).to_numpy("datetime64[ns]").view(np.int64)
    order = np.lexsort(
        (
            declarations["declaration_id"].to_numpy(dtype=np.int64),
            issued,
            declarations["version"].to_numpy(dtype=np.int64),
            declared_product,
        )
    )
    last = np.ones(len(order), dtype=bool)
    last[:-1] = declared_product[order][1:] != declared_product[order][:-1]
    latest = order[last]
    latest_row = _find([product_ids], [declared_product[latest]])
    latest, latest_row = latest[latest_row >= 0], latest_row[latest_row >= 0]
    latest_supplier = products["supplier_id"].to_numpy(dtype=np.int64)[latest_row]
    latest_material = products["material_id"].to_numpy(dtype=np.int64)[latest_row]
    l1_row = _find([declared_product[latest]], [pair_product])
    l1_row[pair_product < 0] = -1
    l1_factors = _take(per_kg[latest], l1_row)
    l1_declaration = _take(declarations["declaration_id"].to_numpy(dtype=float)[latest], l1_row)

    # Level 2: the plain mean per supplier x material of those latest declarations (NaN skipped per module).
    groups, group_of = np.unique(
        np.stack([latest_supplier, latest_material], axis=1).reshape(-1, 2), axis=0, return_inverse=True
    )
    group_of = group_of.reshape(-1)
    sums = np.zeros((len(groups), n_modules))
    counts = np.zeros((len(groups), n_modules))
    np.add.at(sums, group_of, np.nan_to_num(per_kg[latest], nan=0.0))
    np.add.at(counts, group_of, ~np.isnan(per_kg[latest]))
    means = np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)
    l2_row = _find([groups[:, 0], groups[:, 1]], [supplier, material_id])
    l2_row[supplier < 0] = -1
    l2_factors = _take(means, l2_row)

    has_l1 = in_boundary & ~np.isnan(l1_factors[:, 0])
    has_l2 = ~has_l1 & in_boundary & ~np.isnan(l2_factors[:, 0])
    primary = has_l1 | has_l2
    factors = np.where(has_l1[:, None], l1_factors, l2_factors)

    # Level 3: the typical default for material and route, regional for the product's province, else national.
    basis = defaults["basis"].to_numpy()
    default_material = defaults["material_id"].to_numpy(dtype=np.int64)
    default_factor = defaults["kg_co2e_per_kg"].to_numpy(dtype=float, na_value=np.nan)
    typical = (basis == "typical") & (code["default_route"] != empty)
    regional = np.flatnonzero(typical & (code["default_province"] != empty))
    national = np.flatnonzero(typical & (code["default_province"] == empty))
    conservative = np.flatnonzero(basis == "conservative")
    regional_row = _find(
        [default_material[regional], code["default_route"][regional], code["default_province"][regional]],
        [material_id, route_code, province_code],
    )
    national_row = _find(
        [default_material[national], code["default_route"][national]], [material_id, route_code]
    )
    regional_factor = _take(default_factor[regional], np.where(has_product, regional_row, -1))
    national_factor = _take(default_factor[national], np.where(has_product, national_row, -1))
    route_factor = np.where(np.isnan(regional_factor), national_factor, regional_factor)
    linked = pair_product >= 0
    has_l3 = ~primary & in_boundary & linked & ~np.isnan(route_factor)

    # Level 4: the conservative default for the material.
    conservative_factor = _take(
        default_factor[conservative], _find([default_material[conservative]], [material_id])
    )
    secondary = np.where(has_l3, route_factor, np.where(in_boundary, conservative_factor, 0.0))
    factors[:, 0] = np.where(primary, factors[:, 0], secondary)
    factors[~primary, 1:] = np.nan
    level = np.select(
        [~in_boundary, has_l1, has_l2, has_l3], [OUTSIDE_BOUNDARY_LEVEL, 1, 2, 3], default=CONSERVATIVE_LEVEL
    ).astype(np.int64)
    return _PairFactors(
        product_id=np.asarray(product_id, dtype=float),
        material_id=material_id,
        supplier_id=supplier_id,
        route=_take(products["route"].to_numpy(dtype=object), product_row, missing=np.nan),
        province=_take(products["province"].to_numpy(dtype=object), product_row, missing=np.nan),
        level=level,
        declaration_id=np.where(has_l1, l1_declaration, np.nan),
        factors=factors,
    )


def _level_tables_check(inputs: RollupInputs, materials_in_boundary: np.ndarray) -> None:
    conservative = inputs.defaults.loc[inputs.defaults["basis"] == "conservative", "material_id"]
    missing = set(materials_in_boundary.tolist()) - set(conservative.astype("int64").tolist())
    if missing:
        raise EngineInputError(
            f"no conservative default factor for material ids {sorted(int(m) for m in missing)}"
        )


# -- line-sized work ------------------------------------------------------------------------------------------


def _bins(values: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """A bin per value for bincount-style sums: (bin of each value, number of bins, value of each bin).

    Database ids are compact, so the id itself (or the id less the smallest) is its bin and nothing is hashed;
    sparse values are factorized instead. A bin may hold no value."""
    if not values.size:
        return values.astype(np.intp), 0, values[:0]
    low, high = int(values.min()), int(values.max())
    compact = 2 * values.size + (1 << 16)
    if 0 <= low and high < compact:
        return values, high + 1, np.arange(high + 1, dtype=values.dtype)
    if high - low < compact:
        return values - low, high - low + 1, np.arange(low, high + 1, dtype=values.dtype)
    codes, uniques = pd.factorize(values, sort=True)
    return codes, len(uniques), np.asarray(uniques)


def _object_addresses(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The addresses of the objects values[rows] (CPython object arrays hold PyObject pointers), read without
    touching the objects: a key for their identity, valid while `values` keeps them alive."""
    values = np.ascontiguousarray(values, dtype=object)
    pointer = ctypes.cast(values.ctypes.data, ctypes.POINTER(ctypes.c_uint64))
    return np.ctypeslib.as_array(pointer, shape=(len(values),))[rows]


def _codes_by_address(values, rows):
    by_address, addresses = pd.factorize(_object_addresses(values, rows))
    first = np.full(len(addresses), len(rows))
    np.minimum.at(first, by_address, np.arange(len(rows)))
    code_of_object, _ = pd.factorize(values[rows[first]])
    return code_of_object[by_address]


def _object_codes(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Dense integer codes of values[rows] (an object array): equal values, equal codes.

    The rows' objects are the costly part: they lie all over the heap. Strings read through pandas' CSV parser
    (PostgreSQL) share one object per distinct value: those are grouped by address first, without touching
    them, and only the few distinct objects are compared. Strings fetched row by row (SQLite) are an object
    each: one dict pass touches each once (code = position of the value's first occurrence, made dense)."""
    sample = values[rows[:256]]
    if len(set(map(id, sample))) <= len(set(sample)):
        return _codes_by_address(values, rows)
    first_seen: dict = {}
    position = np.fromiter(
        map(first_seen.setdefault, values[rows], itertools.count()), dtype=np.intp, count=len(rows)
    )
    dense = np.zeros(len(rows), dtype=np.intp)
    dense[np.fromiter(first_seen.values(), dtype=np.intp, count=len(first_seen))] = np.arange(len(first_seen))
    return dense[position]


def _check_shares(lines: pd.DataFrame, model_bin, n_bins, material_bin, n_materials, shared) -> None:
    """Shares of a multi-sourced component (model, component, material) must add up to 1."""
    rows = np.flatnonzero(shared)
    if not rows.size:
        return
    component = _object_codes(lines["component"].to_numpy(), rows)
    share = lines["share"].to_numpy(dtype=float)[rows]
    # (component, material) as one dense code; a group is then (model bin, that code)
    combo = component * n_materials + material_bin[rows]
    n_combos = (int(component.max()) + 1) * n_materials
    if n_combos <= 2 * len(rows) + (1 << 16):
        present = np.flatnonzero(np.bincount(combo, minlength=n_combos))
        lookup = np.zeros(n_combos, dtype=np.intp)
        lookup[present] = np.arange(len(present))
        combo, n_combos = lookup[combo], len(present)
    model_code = model_bin[rows].astype(np.int64)
    if n_bins * n_combos >= 2**62:  # keep the combined key inside int64
        model_code = pd.factorize(model_code)[0].astype(np.int64)
    key = model_code * n_combos + combo
    n_keys = n_bins * n_combos
    if n_keys <= 4 * len(rows) + (1 << 20) and (share > 0).all():
        # a dense table of sums; with positive shares, a group's sum is positive exactly where it has lines
        sums = np.bincount(key, weights=share, minlength=n_keys)
        sums = sums[sums > 0]
    else:
        group, _ = pd.factorize(key)
        sums = np.bincount(group, weights=share)
    if (np.abs(sums - 1.0) > SHARE_TOLERANCE).any():
        group, _ = pd.factorize(key)  # numbered in order of first appearance, as the message lists them
        sums = np.bincount(group, weights=share)
        bad = np.flatnonzero(np.abs(sums - 1.0) > SHARE_TOLERANCE)
        first = np.full(len(sums), len(rows))
        np.minimum.at(first, group, np.arange(len(rows)))
        model_ids, names = lines["model_id"].to_numpy(), lines["component"].to_numpy()
        examples = [
            f"model {model_ids[rows[first[g]]]}, component {names[rows[first[g]]]!r}: {sums[g]:.4f}"
            for g in bad[:5]
        ]
        raise EngineInputError(
            "shares of a multi-sourced component must add up to 100%; " + "; ".join(examples)
        )


def _float_bits(values: np.ndarray) -> np.ndarray:
    """IEEE-754 bit patterns as uint64, every NaN the same."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    return np.where(np.isnan(values), _NAN_BITS, values.view(_U64))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit over the output."""
    x = x ^ (x >> _U64(30))
    x *= _U64(0xBF58476D1CE4E5B9)
    x ^= x >> _U64(27)
    x *= _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _pair_salts(pairs: _PairFactors) -> np.ndarray:
    """A 64-bit hash per pair of its product, material and chosen factor (level, declaration, A1-A3, D)."""
    d_column = list(MODULE_COLUMNS).index("D")
    columns = [
        _float_bits(pairs.product_id),
        pairs.material_id.astype(np.int64).view(_U64),
        pairs.level.astype(np.int64).view(_U64),
        _float_bits(pairs.declaration_id),
        _float_bits(pairs.factors[:, 0]),
        _float_bits(pairs.factors[:, d_column]),
    ]
    salt = np.zeros(len(pairs.level), dtype=_U64)
    for column in columns:
        salt = _mix((salt + _GOLDEN) ^ column)
    return salt


def _hex_digests(sums: np.ndarray) -> np.ndarray:
    """Rows of two uint64 lanes -> 32 lowercase hex digits each (object array of str)."""
    digits = np.ascontiguousarray(sums, dtype=">u8")
    return np.frombuffer(digits.tobytes().hex().encode("ascii"), dtype="S32").astype(str).astype(object)


def _pair_key(product, material_bin, n_materials, in_boundary, out, scratch):
    """An integer key per line of its (product, material, in_boundary) pair, written into `out` (int64);
    returns the number of possible keys and the product id of each product part (NaN: unlinked).

    key = (product part x materials + material bin) x 2 + in_boundary, where the product part is 0 for an
    unlinked line and else the product id less the smallest plus one (ids are integers), or a hashed code
    when the ids are too spread out for that. `scratch` is an int64 work array of the same length."""
    low = np.fmin.reduce(product) if len(product) else np.nan
    high = np.fmax.reduce(product) if len(product) else np.nan
    if np.isnan(low):
        out[:] = 0
        product_values = np.array([np.nan])
    elif high - low < 2 * len(product) + (1 << 16):
        shifted = np.subtract(product, low - 1.0, out=scratch.view(np.float64))
        np.fmax(shifted, 0.0, out=shifted)  # unlinked -> 0
        np.copyto(out, shifted, casting="unsafe")
        product_values = np.r_[np.nan, np.arange(int(high - low) + 1) + low]
    else:
        codes, uniques = pd.factorize(product)  # unlinked -> -1
        np.add(codes, 1, out=out)
        product_values = np.r_[np.nan, np.asarray(uniques, dtype=float)]
    out *= 2 * n_materials
    out += np.multiply(material_bin, 2, out=scratch)
    out += in_boundary
    return len(product_values) * 2 * n_materials, product_values


def _decode_pair_keys(keys, n_materials, product_values, material_values):
    product_part, rest = np.divmod(keys, 2 * n_materials)
    return product_values[product_part], material_values[rest // 2].astype(np.int64), (rest % 2).astype(bool)


def _pairs_in_contribution_order(pairs: _PairFactors) -> tuple[np.ndarray, _PairFactors]:
    """Pairs sorted by (material, supplier, level, declaration; none last), and the sorting permutation."""
    rank = np.lexsort(
        (
            np.nan_to_num(pairs.declaration_id, nan=np.inf),
            pairs.level,
            np.nan_to_num(pairs.supplier_id, nan=np.inf),
            pairs.material_id,
        )
    )
    return rank, _PairFactors(
        **{name: getattr(pairs, name)[rank] for name in _PairFactors.__dataclass_fields__}
    )


def rollup(inputs: RollupInputs) -> RollupResult:
    """Choose a factor for every BOM line and sum per model; raises EngineInputError on unusable input.

    Line-sized work is a fixed set of array passes over a few reused buffers (a fresh line-sized array costs
    about as much as a pass: the kernel zeroes its pages)."""
    lines = inputs.lines
    n = len(lines)
    model = lines["model_id"].to_numpy(dtype=np.int64)
    material = lines["material_id"].to_numpy(dtype=np.int64)
    in_boundary = lines["in_boundary"].to_numpy(dtype=bool)
    mass = np.ascontiguousarray(lines["mass_kg"].to_numpy(dtype=float))
    share = lines["share"].to_numpy(dtype=float)
    unshared = np.isnan(share)

    model_bin, n_bins, bin_model_id = _bins(model)
    material_bin, n_materials, material_values = _bins(material)
    _check_shares(lines, model_bin, n_bins, material_bin, n_materials, ~unshared)

    # Fingerprint, first part: x = mass bits * b + share bits * c + [no share] (mod 2**64). Per line the
    # pair's salt is added below; see _fingerprint_lanes. The line's id is left out on purpose: a BOM
    # replaced by the same lines (a carmaker uploading the same file again) is the same input.
    line_mass = np.where(unshared, 1.0, share)  # the share, 1 when single-sourced; times mass below
    x = np.multiply(mass.view(_U64), _MASS_MUL)
    work = np.multiply(line_mass.view(_U64), _SHARE_MUL)
    x += work
    np.add(x, unshared, out=x, casting="unsafe")
    np.multiply(line_mass, mass, out=line_mass)

    # The distinct pairs, the factor chosen for each, and a code per line numbering the pairs in
    # contribution order, so that a contribution is a run of consecutive (model, pair) cells.
    key = np.empty(n, dtype=np.int64)
    n_keys, product_values = _pair_key(
        lines["product_id"].to_numpy(dtype=float),
        material_bin,
        n_materials,
        in_boundary,
        key,
        work.view(np.int64),
    )
    if n_keys <= 2 * n + DENSE_CELLS_SLACK:
        present = np.flatnonzero(np.bincount(key, minlength=n_keys))
        pair_keys = present
    else:  # too many possible keys for a lookup table: hash the keys that occur
        codes, pair_keys = pd.factorize(key, sort=True)
        key[:] = codes
        pair_keys = np.asarray(pair_keys)
        present, n_keys = np.arange(len(pair_keys)), len(pair_keys)
    pairs = _choose_factors(
        *_decode_pair_keys(pair_keys, n_materials, product_values, material_values), inputs
    )
    _level_tables_check(inputs, np.unique(pairs.material_id[pairs.level != OUTSIDE_BOUNDARY_LEVEL]))
    rank, pairs = _pairs_in_contribution_order(pairs)
    lookup = np.zeros(n_keys, dtype=np.intp)
    lookup[present[rank]] = np.arange(len(rank))
    pair_code = np.take(lookup, key, out=work.view(np.intp), mode="clip")
    del work

    x += np.take(_pair_salts(pairs), pair_code, out=key.view(_U64), mode="clip")
    cell = np.multiply(model_bin, len(rank), out=key)
    cell += pair_code
    cells = _cells(cell, n_bins, line_mass, pairs)
    del cell
    footprints = _footprints(bin_model_id, cells)
    footprints["input_fingerprint"] = _hex_digests(
        _fingerprint_lanes(x, model_bin, n_bins, key)[cells.models]
    )
    return RollupResult(
        footprints=footprints,
        contributions=_contributions(bin_model_id, cells, pairs),
        line_frame=lambda: _line_frame(lines, pair_code, pairs),
    )


def _fingerprint_lanes(x: np.ndarray, model_bin, n_bins, scratch: np.ndarray) -> np.ndarray:
    """Per model bin, the two 64-bit lanes (bins x 2, uint64) of the order-independent input digest.

    x per line = mass bits * b + share bits * c + [no share] + salt(pair) modulo 2**64, where
    the pair's salt hashes product, material, level, declaration and the A1-A3 and D factors. The line's
    hash h is x through a bijective xorshift-multiply-xorshift mix; lane 1 sums h per model, lane 2 sums
    h squared, both modulo 2**64. Changing any one input of a line changes x, so h, so lane 1; the order
    of the lines changes nothing. Consumes x and scratch (line-sized uint64/int64 arrays)."""
    scratch = scratch.view(_U64)
    x ^= np.right_shift(x, _MIX_SHIFTS[0], out=scratch)
    x *= _MIX_MUL
    x ^= np.right_shift(x, _MIX_SHIFTS[1], out=scratch)
    # Sum per model: over runs of consecutive lines of one model first (lines usually come grouped by model),
    # then the few run sums into their model bins; line by line when the lines are too mixed for that.
    run_starts = np.flatnonzero(model_bin[1:] != model_bin[:-1])
    sums = np.zeros((2, n_bins), dtype=_U64)
    if len(run_starts) < len(x) // 8:
        run_starts = np.r_[0, run_starts + 1]
        run_bins = model_bin[run_starts]
        np.add.at(sums[0], run_bins, np.add.reduceat(x, run_starts))
        np.add.at(sums[1], run_bins, np.add.reduceat(np.multiply(x, x, out=x), run_starts))
    else:
        np.add.at(sums[0], model_bin, x)
        np.add.at(sums[1], model_bin, np.multiply(x, x, out=x))
    return sums.T


@dataclass(frozen=True)
class _Cells:
    """Line mass summed per occupied (model bin, pair) cell, in that order, and the per-model figures."""

    model_bin: np.ndarray
    pair: np.ndarray
    mass: np.ndarray
    models: np.ndarray  # the model bins holding lines, ascending
    figures: dict  # per-model arrays (aligned with `models`) by footprint column


def _per_model_weights(pairs: _PairFactors) -> tuple[list[str], np.ndarray]:
    """Per-pair weights (pairs x columns) that turn a model's mass per pair into its per-model figures."""
    a1_a3 = pairs.factors[:, 0]
    columns, weights = [], []
    for lvl in ALL_LEVELS:
        at_level = (pairs.level == lvl).astype(float)
        columns += [f"mass_kg_level_{lvl}", f"kg_co2e_level_{lvl}"]
        weights += [at_level, at_level * a1_a3]
    for position, module in enumerate(MODULE_COLUMNS):
        if module != "A1-A3":
            columns.append(f"kg_co2e_{module}")
            weights.append(np.nan_to_num(pairs.factors[:, position], nan=0.0))
    return columns, np.stack(weights, axis=1)


def _dense_grid(cell, n_bins, n_pairs, line_mass, weights, conservative):
    """The dense path of _cells: bincounts over the whole model x pair grid."""
    n_cells = n_bins * n_pairs
    mass = np.bincount(cell, weights=line_mass, minlength=n_cells)
    count = np.bincount(cell, minlength=n_cells)
    grid_count = count.reshape(n_bins, n_pairs)
    line_count = grid_count.sum(axis=1)
    models = np.flatnonzero(line_count)
    figures = (mass.reshape(n_bins, n_pairs) @ weights)[models]
    conservative_count = (grid_count @ conservative.astype(np.int64))[models]
    line_count = line_count[models]
    occupied = np.flatnonzero(count > 0)
    cell_mass = mass[occupied]
    return occupied, cell_mass, models, figures, line_count, conservative_count


def _cells(cell, n_bins, line_mass, pairs: _PairFactors) -> _Cells:
    """Sum line mass and count lines per (model, pair) cell (cell = model bin x pairs + pair): a weighted
    and a plain bincount over the dense model x pair grid while that stays proportional to the lines, else
    over the hashed occupied cells. Per-model figures are then the grid times a per-pair weight table."""
    columns, weights = _per_model_weights(pairs)
    conservative = pairs.level == CONSERVATIVE_LEVEL
    n_pairs = len(pairs.level)
    n_cells = n_bins * n_pairs
    if n_cells <= len(cell) + DENSE_CELLS_SLACK:
        occupied, cell_mass, models, figures, line_count, conservative_count = _dense_grid(
            cell, n_bins, n_pairs, line_mass, weights, conservative
        )
    else:  # a sparse grid: hash the occupied cells, sum per model over those
        codes, occupied = pd.factorize(cell, sort=True)
        occupied = np.asarray(occupied)
        cell_mass = np.bincount(codes, weights=line_mass, minlength=len(occupied))
        cell_count = np.bincount(codes, minlength=len(occupied))
        models, cell_model_code = np.unique(occupied // n_pairs, return_inverse=True)
        cell_pair = occupied % n_pairs

        def per_model(weights_per_cell):
            return np.bincount(cell_model_code, weights=weights_per_cell, minlength=len(models))

        figures = np.stack(
            [per_model(cell_mass * weights[cell_pair, j]) for j in range(len(columns))], axis=1
        )
        line_count = per_model(cell_count)
        conservative_count = per_model(cell_count * conservative[cell_pair])
    cell_model, cell_pair = np.divmod(occupied, n_pairs)
    by_column = dict(zip(columns, figures.T, strict=True))
    by_column["line_count"] = np.asarray(line_count).astype(np.int64)
    by_column["conservative_line_count"] = np.asarray(conservative_count).astype(np.int64)
    return _Cells(cell_model, cell_pair, cell_mass, models, by_column)


def _footprints(bin_model_id: np.ndarray, cells: _Cells) -> pd.DataFrame:
    per_model = cells.figures
    mass_by_level = [per_model[f"mass_kg_level_{lvl}"] for lvl in ALL_LEVELS]
    kg_by_level = [per_model[f"kg_co2e_level_{lvl}"] for lvl in ALL_LEVELS]
    total = np.sum(kg_by_level, axis=0)
    primary = np.sum([per_model[f"kg_co2e_level_{lvl}"] for lvl in PRIMARY_LEVELS], axis=0)
    out = {
        "model_id": bin_model_id[cells.models].astype(np.int64),
        "total_kg_co2e": total,
        "primary_kg_co2e": primary,
        "mass_total_kg": np.sum(mass_by_level, axis=0),
        "line_count": per_model["line_count"],
        **{f"kg_co2e_{module}": per_model[f"kg_co2e_{module}"] for module in OTHER_MODULES},
        "conservative_line_count": per_model["conservative_line_count"],
        "primary_data_share": np.divide(primary, total, out=np.zeros_like(total), where=total > 0),
    }
    for lvl in ALL_LEVELS:
        out[f"mass_kg_level_{lvl}"] = mass_by_level[lvl]
        out[f"kg_co2e_level_{lvl}"] = kg_by_level[lvl]
    return pd.DataFrame(out)


def _contributions(bin_model_id, cells: _Cells, pairs: _PairFactors) -> pd.DataFrame:
    """Cells merged per model x (material, supplier, level, declaration); pairs are numbered in that order,
    so a contribution is a run of consecutive cells."""
    d_column = list(MODULE_COLUMNS).index("D")
    kg = cells.mass * pairs.factors[:, 0][cells.pair]
    kg_d = cells.mass * np.nan_to_num(pairs.factors[:, d_column], nan=0.0)[cells.pair]
    keys = np.stack(
        [pairs.material_id.astype(float), pairs.supplier_id, pairs.level.astype(float), pairs.declaration_id]
    )
    same_as_previous = np.zeros(len(pairs.level), dtype=bool)
    same_as_previous[1:] = (
        (keys[:, 1:] == keys[:, :-1]) | (np.isnan(keys[:, 1:]) & np.isnan(keys[:, :-1]))
    ).all(axis=0)
    mass, cell_pair, model_bin = cells.mass, cells.pair, cells.model_bin
    if same_as_previous.any():
        # a cell continues the previous cell's contribution when both are of one model and one group
        group = np.cumsum(~same_as_previous)
        candidate = np.flatnonzero(same_as_previous[cell_pair[1:]]) + 1
        previous = candidate - 1
        following = candidate[
            (model_bin[candidate] == model_bin[previous])
            & (group[cell_pair[candidate]] == group[cell_pair[previous]])
        ]
        if len(following):
            heads = np.ones(len(mass), dtype=bool)
            heads[following] = False
            heads = np.flatnonzero(heads)
            into = heads[np.searchsorted(heads, following, side="right") - 1]
            mass = mass.copy()
            for values in (mass, kg, kg_d):
                np.add.at(values, into, values[following])  # in cell order, as a running sum would
            mass, kg, kg_d, cell_pair, model_bin = (
                values[heads] for values in (mass, kg, kg_d, cell_pair, model_bin)
            )
    first_pair = cell_pair
    out = pd.DataFrame(
        {
            "model_id": bin_model_id[model_bin],
            "material_id": pairs.material_id[first_pair],
            "supplier_id": pairs.supplier_id[first_pair],
            "level": pairs.level[first_pair],
            "declaration_id": pairs.declaration_id[first_pair],
            "mass_kg": mass,
            "kg_co2e": kg,
            "kg_co2e_D": kg_d,
            "kg_co2e_per_kg": np.divide(kg, mass, out=np.zeros_like(kg), where=mass > 0),
        },
        copy=False,  # the arrays are this function's own: no consolidating copy
    )
    return out


def _line_frame(lines: pd.DataFrame, pair_code, pairs: _PairFactors) -> pd.DataFrame:
    """One row per BOM line with the factor chosen for it and its emissions per module."""
    df = lines[["line_id", "model_id", "material_id", "in_boundary", "mass_kg", "product_id", "share"]].copy()
    df["mass_kg"] = df["mass_kg"].astype(float)
    df["line_mass_kg"] = df["mass_kg"] * df["share"].astype(float).fillna(1.0)
    df["supplier_id"] = pairs.supplier_id[pair_code]
    df["route"] = pairs.route[pair_code]
    df["product_province"] = pairs.province[pair_code]
    df["declaration_id"] = pairs.declaration_id[pair_code]
    df["level"] = pairs.level[pair_code]
    for position, column in enumerate(MODULE_COLUMNS.values()):
        df[column] = pairs.factors[pair_code, position]
    df["kg_co2e"] = df["line_mass_kg"] * df["gwp_a1_a3_kg_co2e"]
    for module, column in MODULE_COLUMNS.items():
        if module != "A1-A3":
            df[f"kg_co2e_{module}"] = (df["line_mass_kg"] * df[column]).fillna(0.0)
    df["primary_kg_co2e"] = np.where(df["level"].isin(PRIMARY_LEVELS), df["kg_co2e"], 0.0)
    return df
