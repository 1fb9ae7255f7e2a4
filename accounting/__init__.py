"""Carmaker side: materials and default factors, vehicle models, BOMs, the rollup and footprints."""
