"""The rollup engine: BOM lines x best allowed emission factor -> per-model footprints. Pure pandas, no Django.

Inputs are plain DataFrames (columns documented on `RollupInputs`); every step is a vectorised merge,
mask or group-by, never a Python loop per line or per model. Factor choice per BOM line, best first:

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
"""

from __future__ import annotations

from dataclasses import dataclass

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
KG_PER_MASS_UNIT = {"kg": 1.0, "t": 1000.0}
SHARE_TOLERANCE = 1e-6
_HASH_KEYS = ("carbonplatform01", "carbonplatform02")


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
    lines: one row per BOM line with the factor chosen (for drill-downs and tests)."""

    footprints: pd.DataFrame
    contributions: pd.DataFrame
    lines: pd.DataFrame


def declaration_factors_per_kg(declarations: pd.DataFrame) -> pd.DataFrame:
    """Convert every module's GWP from kg CO2e per declared unit to kg CO2e per kg of product."""
    unit = declarations["declared_unit"].astype(str)
    kg_per_unit = unit.map(KG_PER_MASS_UNIT).astype(float)
    not_mass = kg_per_unit.isna()
    kg_per_unit = kg_per_unit.where(~not_mass, declarations["mass_kg_per_declared_unit"].astype(float))
    missing = declarations.loc[kg_per_unit.isna() | (kg_per_unit <= 0), "declaration_id"]
    if len(missing):
        raise EngineInputError(
            "declarations with a non-mass declared unit need a positive mass per declared unit: "
            f"ids {sorted(int(i) for i in missing)[:10]}"
        )
    kg_per_declared_amount = declarations["declared_amount"].astype(float) * kg_per_unit
    out = declarations[["declaration_id", "product_id", "version", "issue_date"]].copy()
    for column in MODULE_COLUMNS.values():
        out[column] = declarations[column].astype(float) / kg_per_declared_amount
    return out


def _check_shares(lines: pd.DataFrame) -> None:
    shared = lines[lines["share"].notna()]
    if shared.empty:
        return
    sums = shared.groupby(["model_id", "component", "material_id"], sort=False)["share"].sum()
    bad = sums[(sums - 1.0).abs() > SHARE_TOLERANCE]
    if len(bad):
        examples = [f"model {m}, component {c!r}: {s:.4f}" for (m, c, _mat), s in bad.head(5).items()]
        raise EngineInputError(
            "shares of a multi-sourced component must add up to 100%; " + "; ".join(examples)
        )


def _level_factors(inputs: RollupInputs) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per-product (level 1), per supplier x material (level 2), route (3) and conservative (4) factor tables."""
    module_cols = list(MODULE_COLUMNS.values())
    per_kg = declaration_factors_per_kg(inputs.declarations)
    latest = (
        per_kg.sort_values(["product_id", "version", "issue_date", "declaration_id"])
        .drop_duplicates("product_id", keep="last")
        .merge(inputs.products[["product_id", "supplier_id", "material_id"]], on="product_id", how="inner")
    )
    level1 = latest[["product_id", "declaration_id", *module_cols]]
    level2 = latest.groupby(["supplier_id", "material_id"], as_index=False)[module_cols].mean()

    defaults = inputs.defaults
    typical = defaults[(defaults["basis"] == "typical") & (defaults["route"] != "")]
    regional = typical[typical["province"] != ""][["material_id", "route", "province", "kg_co2e_per_kg"]]
    national = typical[typical["province"] == ""][["material_id", "route", "kg_co2e_per_kg"]]
    conservative = defaults[(defaults["basis"] == "conservative")][["material_id", "kg_co2e_per_kg"]]
    route_defaults = (regional, national)
    return level1, level2, route_defaults, conservative


def rollup(inputs: RollupInputs) -> RollupResult:
    """Choose a factor for every BOM line and sum per model; raises EngineInputError on unusable input."""
    lines = inputs.lines
    _check_shares(lines)
    module_cols = list(MODULE_COLUMNS.values())
    level1, level2, (regional, national), conservative = _level_factors(inputs)

    missing = set(lines.loc[lines["in_boundary"], "material_id"].unique()) - set(conservative["material_id"])
    if missing:
        raise EngineInputError(
            f"no conservative default factor for material ids {sorted(int(m) for m in missing)}"
        )

    # Every factor choice depends only on the line's product and material: choose once per distinct pair
    # (a few thousand), then gather onto the lines by integer code.
    pair_codes, pairs = _distinct_pairs(lines)
    chosen = _choose_factors(pairs, inputs, level1, level2, regional, national, conservative)
    df = lines[["line_id", "model_id", "material_id", "in_boundary", "mass_kg", "product_id", "share"]].copy()
    df["mass_kg"] = df["mass_kg"].astype(float)
    df["line_mass_kg"] = df["mass_kg"] * df["share"].astype(float).fillna(1.0)
    for column in ("supplier_id", "route", "product_province", "declaration_id", "level", *module_cols):
        df[column] = chosen[column].to_numpy()[pair_codes]

    df["kg_co2e"] = df["line_mass_kg"] * df["gwp_a1_a3_kg_co2e"]
    for module, column in MODULE_COLUMNS.items():
        if module != "A1-A3":
            df[f"kg_co2e_{module}"] = (df["line_mass_kg"] * df[column]).fillna(0.0)
    df["primary_kg_co2e"] = np.where(df["level"].isin(PRIMARY_LEVELS), df["kg_co2e"], 0.0)

    return RollupResult(
        footprints=_per_model(df),
        contributions=_contributions(df),
        lines=df,
    )


def _fingerprints(df: pd.DataFrame) -> pd.Series:
    """Order-independent digest per model of every line's inputs and the factor chosen for it."""
    keyed = df[
        [
            "line_id",
            "material_id",
            "mass_kg",
            "product_id",
            "share",
            "level",
            "declaration_id",
            "gwp_a1_a3_kg_co2e",
            "gwp_d_kg_co2e",
        ]
    ]
    parts = []
    for key in _HASH_KEYS:
        hashes = pd.util.hash_pandas_object(keyed, index=False, hash_key=key).to_numpy().view(np.int64)
        summed = pd.Series(hashes, index=df["model_id"].to_numpy()).groupby(level=0).sum()
        parts.append(summed.to_numpy().view(np.uint64))
        index = summed.index
    digest = np.char.add(
        np.char.zfill(np.char.mod("%x", parts[0]).astype(str), 16),
        np.char.zfill(np.char.mod("%x", parts[1]).astype(str), 16),
    )
    return pd.Series(digest, index=index, name="input_fingerprint")


def _per_model(df: pd.DataFrame) -> pd.DataFrame:
    """Per-model sums as weighted bincounts over the model's integer code (one pass per quantity)."""
    codes, model_ids = pd.factorize(df["model_id"], sort=True)
    n = len(model_ids)

    def summed(values) -> np.ndarray:
        return np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=n)

    level = df["level"].to_numpy()
    line_mass = df["line_mass_kg"].to_numpy()
    kg_co2e = df["kg_co2e"].to_numpy()
    out = pd.DataFrame({"model_id": model_ids})
    out["total_kg_co2e"] = summed(kg_co2e)
    out["primary_kg_co2e"] = summed(df["primary_kg_co2e"])
    out["mass_total_kg"] = summed(line_mass)
    out["line_count"] = np.bincount(codes, minlength=n).astype("int64")
    for module in MODULE_COLUMNS:
        if module != "A1-A3":
            out[f"kg_co2e_{module}"] = summed(df[f"kg_co2e_{module}"])
    out["conservative_line_count"] = np.bincount(codes[level == CONSERVATIVE_LEVEL], minlength=n).astype(
        "int64"
    )
    total = out["total_kg_co2e"]
    out["primary_data_share"] = np.where(total > 0, out["primary_kg_co2e"] / total.where(total > 0), 0.0)
    for lvl in ALL_LEVELS:
        at_level = level == lvl
        out[f"mass_kg_level_{lvl}"] = summed(np.where(at_level, line_mass, 0.0))
        out[f"kg_co2e_level_{lvl}"] = summed(np.where(at_level, kg_co2e, 0.0))
    out["input_fingerprint"] = _fingerprints(df).reindex(model_ids).to_numpy()
    return out


def _contributions(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["model_id", "material_id", "supplier_id", "level", "declaration_id"]
    out = (
        df.groupby(keys, dropna=False, sort=True)
        .agg(mass_kg=("line_mass_kg", "sum"), kg_co2e=("kg_co2e", "sum"), kg_co2e_D=("kg_co2e_D", "sum"))
        .reset_index()
    )
    out["kg_co2e_per_kg"] = np.where(
        out["mass_kg"] > 0, out["kg_co2e"] / out["mass_kg"].where(out["mass_kg"] > 0), 0.0
    )
    return out


def _distinct_pairs(lines: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer code per line of its (product, material) pair, and the pairs themselves."""
    product = lines["product_id"].fillna(-1).astype("int64").to_numpy()
    material = lines["material_id"].astype("int64").to_numpy()
    combined = (product + 1) * (int(material.max(initial=0)) + 1) + material
    codes, uniques = pd.factorize(combined, sort=False)
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    pairs = pd.DataFrame(
        {
            "product_id": lines["product_id"].to_numpy()[first],
            "material_id": material[first],
            "in_boundary": lines["in_boundary"].to_numpy(dtype=bool)[first],
        }
    )
    return codes, pairs


def _choose_factors(pairs, inputs, level1, level2, regional, national, conservative) -> pd.DataFrame:
    """The four-level choice for each distinct (product, material) pair: level, declaration, factors."""
    module_cols = list(MODULE_COLUMNS.values())
    df = pairs.merge(
        inputs.products[["product_id", "supplier_id", "route", "province"]].rename(
            columns={"province": "product_province"}
        ),
        on="product_id",
        how="left",
    )

    # Level 1 then 2: primary data, all modules.
    df = df.merge(level1, on="product_id", how="left")
    in_boundary = df["in_boundary"].to_numpy(dtype=bool)
    has_l1 = df["gwp_a1_a3_kg_co2e"].notna() & in_boundary
    l2 = df[["supplier_id", "material_id"]].merge(level2, on=["supplier_id", "material_id"], how="left")
    has_l2 = ~has_l1.to_numpy() & in_boundary & l2["gwp_a1_a3_kg_co2e"].notna().to_numpy()
    for column in module_cols:
        df[column] = df[column].where(has_l1, l2[column].to_numpy())

    # Level 3: regional default for the product's province, else national, for linked lines.
    reg = (
        df[["material_id", "route", "product_province"]]
        .merge(
            regional.rename(columns={"province": "product_province"}),
            on=["material_id", "route", "product_province"],
            how="left",
        )["kg_co2e_per_kg"]
        .to_numpy()
    )
    nat = (
        df[["material_id", "route"]]
        .merge(national, on=["material_id", "route"], how="left")["kg_co2e_per_kg"]
        .to_numpy()
    )
    route_factor = np.where(np.isnan(reg), nat, reg)
    linked = df["product_id"].notna().to_numpy()
    has_l3 = ~has_l1.to_numpy() & ~has_l2 & in_boundary & linked & ~np.isnan(route_factor)

    cons = df[["material_id"]].merge(conservative, on="material_id", how="left")["kg_co2e_per_kg"].to_numpy()
    secondary = np.where(has_l3, route_factor, np.where(in_boundary, cons, 0.0))
    is_primary = has_l1.to_numpy() | has_l2
    df["gwp_a1_a3_kg_co2e"] = np.where(is_primary, df["gwp_a1_a3_kg_co2e"], secondary)
    for column in module_cols[1:]:
        df[column] = np.where(is_primary, df[column], np.nan)
    df["level"] = np.select(
        [~in_boundary, has_l1.to_numpy(), has_l2, has_l3],
        [OUTSIDE_BOUNDARY_LEVEL, 1, 2, 3],
        default=CONSERVATIVE_LEVEL,
    )
    df["declaration_id"] = df["declaration_id"].where(has_l1)
    return df
