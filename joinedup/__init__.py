"""Joined-up: a consent-aware GraphQL data layer for joined-up government services."""
