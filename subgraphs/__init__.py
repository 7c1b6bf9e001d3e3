"""One Apollo Federation v2 subgraph per department, each with its own store."""
