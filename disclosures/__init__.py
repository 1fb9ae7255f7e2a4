"""Supplier side: plants, products, declarations (EPDs), imports and the review workflow."""
