"""The entry points — the only code that may wire several services together: the CLI (``idphoto``), ``idphoto serve``
(the whole mesh on one machine), the in-process adapters the CLI runs the pipeline with, the sample portrait and the
benchmarks. Nothing below imports this package."""
