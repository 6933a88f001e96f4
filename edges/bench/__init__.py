"""``make bench``: the pipeline's stages and model time (``edges.bench.pipeline``), then the mesh over gRPC
(``edges.bench.mesh``); ratios measured in one run."""
