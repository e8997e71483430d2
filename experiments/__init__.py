"""Thin absl-flag binaries over the `ae` library: `python -m experiments.NAME --workdir=...`."""
