"""Evaluation and figures: metrics (reconstruction NLL, kNN, linear probe, retrieval), the
figures of a training run, and every matplotlib figure of the project (plots)."""
