"""The training core: configs, the compiled step and epoch, sharding, checkpoints, metric
writing and the loop (see each module's docstring)."""
