"""Federation conformance suite.

Fixture subgraphs of a small shop (`subgraphs/`) run over real HTTP, are composed with
`federation.compose`, and are served through `Gateway` and `create_app`. Each case in
`cases_*.py` sends one operation and checks the whole response and every request each
subgraph received; `xfail` on a case names a known gateway defect.
"""
