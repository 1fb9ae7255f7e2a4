"""Tenancy: organisations, memberships and roles, API clients, and the hash-chained audit trail."""
