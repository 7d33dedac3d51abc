"""The errors of a transform run (their own module, so that the runner and the contracts share them)."""


class TransformError(Exception):
    """A model is malformed, references something unknown, or failed to build."""


class TransformInterrupted(TransformError):
    """The run was asked to stop: the models built so far keep their new contents, the others
    their previous ones."""
