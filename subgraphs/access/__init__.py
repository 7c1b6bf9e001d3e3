"""The access service: a citizen's log of who used their data, and services' outcomes."""
