"""The pure rollup engine on hand-built DataFrames: every factor level checked against hand-computed values."""

import math
import sys

import numpy as np
import pandas as pd
import pytest

from accounting.engine import (
    EngineInputError,
    RollupInputs,
    _codes_by_address,
    declaration_factors_per_kg,
    rollup,
)

STEEL, ALU, PLASTICS = 1, 2, 3
S100, S200 = 100, 200
NAN = float("nan")


def _declarations(rows):
    columns = [
        "declaration_id",
        "product_id",
        "version",
        "issue_date",
        "declared_unit",
        "declared_amount",
        "mass_kg_per_declared_unit",
        "gwp_a1_a3_kg_co2e",
        "gwp_a4_kg_co2e",
        "gwp_c1_kg_co2e",
        "gwp_c2_kg_co2e",
        "gwp_c3_kg_co2e",
        "gwp_c4_kg_co2e",
        "gwp_d_kg_co2e",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["issue_date"] = pd.to_datetime(frame["issue_date"])
    return frame


def _inputs(lines, declarations=None):
    products = pd.DataFrame(
        [
            (10.0, S100, STEEL, "bf_bof", "HE"),
            (11.0, S100, STEEL, "bf_bof", "HE"),
            (12.0, S100, STEEL, "bf_bof", "HE"),
            (20.0, S200, ALU, "primary_hydro", "YN"),
            (21.0, S200, ALU, "primary_coal", "SD"),
        ],
        columns=["product_id", "supplier_id", "material_id", "route", "province"],
    )
    if declarations is None:
        declarations = _declarations(
            [
                # P10 v1: 2,100 kg CO2e per tonne -> 2.1 per kg, superseded in the engine's eyes by v2.
                (1, 10.0, 1, "2025-01-01", "t", 1.0, NAN, 2100.0, NAN, NAN, NAN, NAN, NAN, NAN),
                # P10 v2: 2.0 per kg, module D -0.3 per kg.
                (2, 10.0, 2, "2026-01-01", "kg", 1.0, NAN, 2.0, 0.05, NAN, NAN, NAN, NAN, -0.3),
                # P12: per piece of 25 kg, 62.5 per piece -> 2.5 per kg.
                (3, 12.0, 1, "2026-01-01", "piece", 1.0, 25.0, 62.5, NAN, NAN, NAN, NAN, NAN, NAN),
            ]
        )
    defaults = pd.DataFrame(
        [
            (STEEL, "bf_bof", "", "typical", 2.1),
            (STEEL, "", "", "conservative", 3.509),
            (ALU, "primary_hydro", "YN", "typical", 3.5),
            (ALU, "primary_hydro", "", "typical", 4.0),
            (ALU, "primary_coal", "", "typical", 16.0),
            (ALU, "", "", "conservative", 20.0),
        ],
        columns=["material_id", "route", "province", "basis", "kg_co2e_per_kg"],
    )
    return RollupInputs(lines=lines, products=products, declarations=declarations, defaults=defaults)


def _lines(rows):
    frame = pd.DataFrame(
        rows, columns=["line_id", "model_id", "component", "material_id", "mass_kg", "product_id", "share"]
    )
    frame["in_boundary"] = frame["material_id"] != PLASTICS
    return frame


MODEL_1_LINES = [
    (1, 1, "b-pillar", STEEL, 100.0, 10.0, NAN),  # level 1: P10 v2, 2.0/kg -> 200
    (2, 1, "floor", STEEL, 50.0, 11.0, NAN),  # level 2: mean(2.0, 2.5) = 2.25 -> 112.5
    (3, 1, "hood", ALU, 10.0, 20.0, NAN),  # level 3 regional (YN): 3.5 -> 35
    (4, 1, "subframe", ALU, 20.0, 21.0, 0.6),  # level 3 national coal: 12 kg x 16 -> 192
    (5, 1, "subframe", ALU, 20.0, 20.0, 0.4),  # level 3 regional hydro: 8 kg x 3.5 -> 28
    (6, 1, "rail", STEEL, 40.0, NAN, NAN),  # level 4 conservative: 40 x 3.509 -> 140.36
    (7, 1, "bumper", PLASTICS, 30.0, NAN, NAN),  # outside the boundary: 0
    (8, 2, "bracket", STEEL, 10.0, 12.0, NAN),  # model 2, level 1 per piece: 10 x 2.5 -> 25
]


def _footprint(result, model_id):
    return result.footprints.set_index("model_id").loc[model_id]


def test_total_is_the_sum_of_mass_times_the_best_factor_per_line():
    result = rollup(_inputs(_lines(MODEL_1_LINES)))
    model_1 = _footprint(result, 1)
    assert model_1["total_kg_co2e"] == pytest.approx(200 + 112.5 + 35 + 192 + 28 + 140.36)
    assert _footprint(result, 2)["total_kg_co2e"] == pytest.approx(25.0)


def test_each_line_gets_the_level_the_design_prescribes():
    lines = rollup(_inputs(_lines(MODEL_1_LINES))).lines.set_index("line_id")
    assert lines["level"].to_dict() == {1: 1, 2: 2, 3: 3, 4: 3, 5: 3, 6: 4, 7: 0, 8: 1}
    assert lines.loc[1, "declaration_id"] == 2  # latest version of P10
    assert lines.loc[8, "declaration_id"] == 3
    assert math.isnan(lines.loc[2, "declaration_id"])  # a supplier mean names no single declaration
    assert lines.loc[2, "gwp_a1_a3_kg_co2e"] == pytest.approx(2.25)


def test_declared_units_are_converted_to_kg_explicitly():
    per_kg = declaration_factors_per_kg(_inputs(_lines(MODEL_1_LINES)).declarations).set_index(
        "declaration_id"
    )
    assert per_kg.loc[1, "gwp_a1_a3_kg_co2e"] == pytest.approx(2.1)  # 2,100 per t
    assert per_kg.loc[2, "gwp_a1_a3_kg_co2e"] == pytest.approx(2.0)  # per kg
    assert per_kg.loc[3, "gwp_a1_a3_kg_co2e"] == pytest.approx(2.5)  # 62.5 per 25 kg piece


def test_declared_amount_other_than_one_divides_the_value():
    declarations = _declarations(
        [(9, 10.0, 1, "2026-01-01", "t", 2.0, NAN, 4400.0, NAN, NAN, NAN, NAN, NAN, NAN)]
    )
    per_kg = declaration_factors_per_kg(declarations)
    assert per_kg.loc[0, "gwp_a1_a3_kg_co2e"] == pytest.approx(2.2)  # 4,400 per 2 t


def test_non_mass_unit_without_mass_is_an_input_error():
    declarations = _declarations(
        [(9, 10.0, 1, "2026-01-01", "m2", 1.0, NAN, 30.0, NAN, NAN, NAN, NAN, NAN, NAN)]
    )
    with pytest.raises(EngineInputError, match="mass per declared unit"):
        declaration_factors_per_kg(declarations)


def test_primary_data_share_counts_levels_one_and_two_only():
    model_1 = _footprint(rollup(_inputs(_lines(MODEL_1_LINES))), 1)
    total = 200 + 112.5 + 35 + 192 + 28 + 140.36
    assert model_1["primary_data_share"] == pytest.approx((200 + 112.5) / total)
    assert model_1["kg_co2e_level_1"] == pytest.approx(200)
    assert model_1["kg_co2e_level_2"] == pytest.approx(112.5)
    assert model_1["kg_co2e_level_3"] == pytest.approx(35 + 192 + 28)
    assert model_1["kg_co2e_level_4"] == pytest.approx(140.36)


def test_mass_by_level_and_conservative_line_count():
    model_1 = _footprint(rollup(_inputs(_lines(MODEL_1_LINES))), 1)
    assert model_1["mass_total_kg"] == pytest.approx(250)
    assert model_1["mass_kg_level_0"] == pytest.approx(30)
    assert model_1["mass_kg_level_1"] == pytest.approx(100)
    assert model_1["mass_kg_level_2"] == pytest.approx(50)
    assert model_1["mass_kg_level_3"] == pytest.approx(30)
    assert model_1["mass_kg_level_4"] == pytest.approx(40)
    assert model_1["conservative_line_count"] == 1  # the plastics line is outside the boundary, not flagged


def test_module_d_is_reported_beside_the_total_never_netted():
    model_1 = _footprint(rollup(_inputs(_lines(MODEL_1_LINES))), 1)
    # Line 1 uses P10's own D; line 2's supplier mean takes the mean of the declared D values (P12 has none).
    assert model_1["kg_co2e_D"] == pytest.approx(100 * -0.3 + 50 * -0.3)
    assert model_1["kg_co2e_A4"] == pytest.approx(100 * 0.05 + 50 * 0.05)
    assert model_1["total_kg_co2e"] > 700  # D did not reduce it


def test_national_route_default_applies_when_no_regional_default_exists():
    lines = _lines([(1, 1, "hood", ALU, 10.0, 20.0, NAN)])
    inputs = _inputs(lines)
    no_regional = inputs.defaults[inputs.defaults["province"] == ""]
    result = rollup(RollupInputs(lines, inputs.products, inputs.declarations, no_regional))
    assert _footprint(result, 1)["total_kg_co2e"] == pytest.approx(10 * 4.0)


def test_linked_line_without_route_default_falls_back_to_conservative():
    lines = _lines([(1, 1, "hood", ALU, 10.0, 20.0, NAN)])
    inputs = _inputs(lines)
    conservative_only = inputs.defaults[inputs.defaults["basis"] == "conservative"]
    result = rollup(RollupInputs(lines, inputs.products, inputs.declarations, conservative_only))
    assert _footprint(result, 1)["total_kg_co2e"] == pytest.approx(10 * 20.0)
    assert result.lines.loc[0, "level"] == 4


def test_shares_that_do_not_add_up_are_an_input_error():
    lines = _lines([(1, 1, "subframe", ALU, 20.0, 21.0, 0.6), (2, 1, "subframe", ALU, 20.0, 20.0, 0.3)])
    with pytest.raises(EngineInputError, match="model 1, component 'subframe': 0.9000"):
        rollup(_inputs(lines))


def test_missing_conservative_default_is_an_input_error():
    lines = _lines([(1, 1, "rail", 99, 10.0, NAN, NAN)])
    with pytest.raises(EngineInputError, match=r"no conservative default factor for material ids \[99\]"):
        rollup(_inputs(lines))


def test_contributions_add_up_to_the_total_and_name_the_declaration():
    result = rollup(_inputs(_lines(MODEL_1_LINES)))
    contributions = result.contributions
    per_model = contributions.groupby("model_id")["kg_co2e"].sum()
    assert per_model.loc[1] == pytest.approx(_footprint(result, 1)["total_kg_co2e"])
    level_1 = contributions[(contributions["model_id"] == 1) & (contributions["level"] == 1)]
    assert level_1["declaration_id"].tolist() == [2]
    assert level_1["kg_co2e_per_kg"].tolist() == pytest.approx([2.0])


def test_fingerprint_changes_with_inputs_and_not_with_line_order():
    lines = _lines(MODEL_1_LINES)
    base = _footprint(rollup(_inputs(lines)), 1)["input_fingerprint"]
    shuffled = lines.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert _footprint(rollup(_inputs(shuffled)), 1)["input_fingerprint"] == base
    heavier = lines.copy()
    heavier.loc[heavier["line_id"] == 6, "mass_kg"] = 41.0
    assert _footprint(rollup(_inputs(heavier)), 1)["input_fingerprint"] != base
    assert len(base) == 32


def test_engine_handles_many_models_without_python_loops_per_line():
    rng = np.random.default_rng(1)
    n = 50_000
    lines = pd.DataFrame(
        {
            "line_id": np.arange(n),
            "model_id": rng.integers(0, 500, n),
            "component": "part",
            "material_id": rng.choice([STEEL, ALU], n),
            "mass_kg": rng.uniform(0.1, 20, n),
            "product_id": NAN,
            "share": NAN,
            "in_boundary": True,
        }
    )
    result = rollup(_inputs(lines))
    expected = (
        (lines["mass_kg"] * lines["material_id"].map({STEEL: 3.509, ALU: 20.0}))
        .groupby(lines["model_id"])
        .sum()
    )
    got = result.footprints.set_index("model_id")["total_kg_co2e"]
    np.testing.assert_allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy())


def _fingerprints(inputs):
    return rollup(inputs).footprints.set_index("model_id")["input_fingerprint"]


def _with_products(inputs, *rows):
    extra = pd.DataFrame(list(rows), columns=inputs.products.columns)
    return RollupInputs(
        inputs.lines,
        pd.concat([inputs.products, extra], ignore_index=True),
        inputs.declarations,
        inputs.defaults,
    )


def _changed_line(which, lines=None, **changes):
    lines = _lines(MODEL_1_LINES) if lines is None else lines
    for column, value in changes.items():
        lines.loc[lines["line_id"] == which, column] = value
    return lines


def _changed_declaration(which, **changes):
    declarations = _inputs(_lines(MODEL_1_LINES)).declarations.copy()
    for column, value in changes.items():
        declarations.loc[declarations["declaration_id"] == which, column] = value
    return declarations


# Each case changes one input of one line of model 1, or only the factor chosen for one of its lines.
FINGERPRINT_CHANGES = {
    "mass": lambda: _inputs(_changed_line(6, mass_kg=40.000001)),
    "material": lambda: _inputs(_changed_line(6, material_id=ALU)),
    # product 13 is another product of the same supplier and material without a declaration: the line keeps
    # its level-2 supplier mean, so only the product differs
    "product": lambda: _with_products(
        _inputs(_changed_line(2, product_id=13.0)), (13.0, S100, STEEL, "bf_bof", "HE")
    ),
    "share given as 1": lambda: _inputs(_changed_line(1, share=1.0)),
    "shares of a split component": lambda: _inputs(
        _changed_line(5, _changed_line(4, share=0.55), share=0.45)
    ),
    "A1-A3 factor": lambda: _inputs(_lines(MODEL_1_LINES), _changed_declaration(2, gwp_a1_a3_kg_co2e=2.01)),
    "module D factor only": lambda: _inputs(
        _lines(MODEL_1_LINES), _changed_declaration(2, gwp_d_kg_co2e=-0.31)
    ),
    "declaration, same values": lambda: _inputs(
        _lines(MODEL_1_LINES), _changed_declaration(2, declaration_id=22)
    ),
    "level": lambda: _inputs(
        _lines(MODEL_1_LINES), _inputs(_lines(MODEL_1_LINES)).declarations.query("declaration_id != 2")
    ),
}


@pytest.mark.parametrize("change", list(FINGERPRINT_CHANGES))
def test_fingerprint_changes_with_any_one_line_input_or_chosen_factor(change):
    base = _fingerprints(_inputs(_lines(MODEL_1_LINES)))
    changed = _fingerprints(FINGERPRINT_CHANGES[change]())
    assert changed.loc[1] != base.loc[1]
    assert changed.loc[2] == base.loc[2]  # model 2's lines and factors did not change


def test_fingerprint_ignores_line_order_and_is_a_fixed_function_of_the_inputs():
    lines = _lines(MODEL_1_LINES)
    base = _fingerprints(_inputs(lines))
    for seed in range(5):
        shuffled = lines.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        assert _fingerprints(_inputs(shuffled)).equals(base)
    # lines grouped by model (summed run by run) or scattered (summed line by line): the same digests
    many = _random_inputs(6)
    grouped = many.lines.sort_values("model_id", kind="stable")
    assert _fingerprints(RollupInputs(grouped, *list(vars(many).values())[1:])).equals(_fingerprints(many))
    # no process-dependent hashing: the same digest in every process, on every platform
    assert base.to_dict() == {1: "0312b82d7d9cd6a6155e0171c1b29c16", 2: "8428fe24647a325a71d872fa57af47a4"}
    assert all(len(digest) == 32 and set(digest) <= set("0123456789abcdef") for digest in base)


def test_a_bom_replaced_by_the_same_lines_under_new_ids_keeps_its_fingerprint_but_a_duplicate_does_not():
    lines = _lines(MODEL_1_LINES)
    base = _fingerprints(_inputs(lines))
    renumbered = lines.assign(line_id=lines["line_id"] + 1000)  # deleted and inserted again: new ids
    assert _fingerprints(_inputs(renumbered)).equals(base)
    duplicated = pd.concat([lines, lines[lines["line_id"] == 6].assign(line_id=99)], ignore_index=True)
    assert _fingerprints(_inputs(duplicated)).loc[1] != base.loc[1]


def test_lines_frame_is_built_on_first_access_only_once():
    result = rollup(_inputs(_lines(MODEL_1_LINES)))
    assert result.lines is result.lines
    assert len(result.lines) == len(MODEL_1_LINES)


def _random_inputs(seed, n=20_000, models=300, shuffle=True):
    """Many models of every level, multi-sourced components with shares, lines in a random order."""
    rng = np.random.default_rng(seed)
    base = _inputs(_lines(MODEL_1_LINES))
    product_material = {10.0: STEEL, 11.0: STEEL, 12.0: STEEL, 20.0: ALU, 21.0: ALU}
    products = rng.choice([NAN, *product_material], n)
    material = np.where(
        np.isnan(products), rng.choice([STEEL, ALU, PLASTICS], n), pd.Series(products).map(product_material)
    ).astype(int)
    lines = pd.DataFrame(
        {
            "line_id": np.arange(n) + 1000,
            "model_id": rng.integers(0, models, n) * 7 + 3,
            "component": [f"part {i}" for i in range(n)],
            "material_id": material,
            "mass_kg": rng.uniform(0.0, 50.0, n).round(3),
            "product_id": products,
            "share": NAN,
        }
    )
    # every fourth line is split between two suppliers: the same component twice, shares 0.3 and 0.7
    split = lines.iloc[::4].copy()
    split["line_id"] += n
    split["product_id"] = np.where(
        split["material_id"] == STEEL, 12.0, np.where(split["material_id"] == ALU, 20.0, NAN)
    )
    lines.loc[lines.index[::4], "share"] = 0.3
    split["share"] = 0.7
    lines = pd.concat([lines, split], ignore_index=True)
    lines["in_boundary"] = lines["material_id"] != PLASTICS
    if shuffle:
        lines = lines.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return RollupInputs(lines, base.products, base.declarations, base.defaults)


def test_sums_agree_with_the_per_line_factors():
    inputs = _random_inputs(3)
    result = rollup(inputs)
    lines = result.lines
    assert sorted(lines["level"].unique()) == [0, 1, 2, 3, 4]
    footprints = result.footprints.set_index("model_id")
    by_model = lines.groupby("model_id")
    np.testing.assert_allclose(footprints["total_kg_co2e"], by_model["kg_co2e"].sum(), rtol=1e-12)
    np.testing.assert_allclose(footprints["kg_co2e_D"], by_model["kg_co2e_D"].sum(), rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(footprints["line_count"], by_model.size())
    np.testing.assert_array_equal(
        footprints["conservative_line_count"], by_model["level"].apply(lambda levels: (levels == 4).sum())
    )
    for lvl in (0, 1, 2, 3, 4):
        at_level = lines[lines["level"] == lvl].groupby("model_id")
        np.testing.assert_allclose(
            footprints[f"mass_kg_level_{lvl}"],
            at_level["line_mass_kg"].sum().reindex(footprints.index, fill_value=0),
        )
    keys = ["model_id", "material_id", "supplier_id", "level", "declaration_id"]
    expected = (
        lines.groupby(keys, dropna=False, sort=True)
        .agg(mass_kg=("line_mass_kg", "sum"), kg_co2e=("kg_co2e", "sum"), kg_co2e_D=("kg_co2e_D", "sum"))
        .reset_index()
    )
    got = result.contributions
    assert got[keys].fillna(-1).equals(expected[keys].fillna(-1))  # same groups, in the same order
    np.testing.assert_allclose(
        got[["mass_kg", "kg_co2e", "kg_co2e_D"]],
        expected[["mass_kg", "kg_co2e", "kg_co2e_D"]],
        rtol=1e-12,
        atol=1e-9,
    )


def test_sparse_and_hashed_paths_give_the_dense_results(monkeypatch):
    inputs = _random_inputs(4)
    dense = rollup(inputs)
    import accounting.engine as engine

    monkeypatch.setattr(engine, "DENSE_CELLS_SLACK", -(10**12))  # hash pair keys and (model, pair) cells
    sparse = rollup(inputs)
    pd.testing.assert_frame_equal(sparse.footprints, dense.footprints, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(sparse.contributions, dense.contributions, check_exact=False, rtol=1e-12)
    # sparse model ids and product ids are hashed too
    spread = inputs.lines.assign(model_id=inputs.lines["model_id"] * 10**9)
    products = inputs.products.assign(product_id=inputs.products["product_id"] * 10**9)
    declarations = inputs.declarations.assign(product_id=inputs.declarations["product_id"] * 10**9)
    spread = spread.assign(product_id=spread["product_id"] * 10**9)
    far = rollup(RollupInputs(spread, products, declarations, inputs.defaults))
    np.testing.assert_allclose(
        far.footprints["total_kg_co2e"].to_numpy(), dense.footprints["total_kg_co2e"].to_numpy(), rtol=1e-12
    )


@pytest.mark.parametrize("shared_objects", [False, True])
def test_share_check_reads_component_names_however_they_are_stored(shared_objects, monkeypatch):
    import accounting.engine as engine

    inputs = _random_inputs(5)
    lines = inputs.lines.copy()
    names = lines["component"].to_numpy()
    # like strings from pandas' CSV parser (one object per name), or fetched row by row (one per line)
    lines["component"] = [sys.intern(n) if shared_objects else "".join(list(n)) for n in names]
    by_address = []
    monkeypatch.setattr(engine, "_codes_by_address", lambda *a: by_address.append(1) or _codes_by_address(*a))
    rollup(RollupInputs(lines, inputs.products, inputs.declarations, inputs.defaults))
    assert bool(by_address) == shared_objects
    bad = lines.copy()
    bad.loc[bad["share"] == 0.7, "share"] = 0.69
    with pytest.raises(EngineInputError, match="must add up to 100%"):
        rollup(RollupInputs(bad, inputs.products, inputs.declarations, inputs.defaults))


def test_a_zero_share_alone_is_an_input_error_and_beside_others_is_not():
    alone = _lines([(1, 1, "hood", ALU, 10.0, 20.0, 0.0)])
    with pytest.raises(EngineInputError, match="component 'hood': 0.0000"):
        rollup(_inputs(alone))
    beside = _lines([(1, 1, "hood", ALU, 10.0, 20.0, 0.0), (2, 1, "hood", ALU, 10.0, 21.0, 1.0)])
    assert _footprint(rollup(_inputs(beside)), 1)["total_kg_co2e"] == pytest.approx(10 * 16.0)
