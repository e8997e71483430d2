"""The papers' presets: one file per paper, a `get_config(arg)` per protocol of
`experiments.reproduce` (the protocols themselves, with the papers' numbers, are in
experiments/protocols/)."""
