"""The pure rollup engine on hand-built DataFrames: every factor level checked against hand-computed values."""

import math

import numpy as np
import pandas as pd
import pytest

from accounting.engine import EngineInputError, RollupInputs, declaration_factors_per_kg, rollup

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
