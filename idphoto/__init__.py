"""idphoto: ID photos to official document specs. Shared kernel (errors, config, logging, image I/O, models)."""

__version__ = "0.1.0"
