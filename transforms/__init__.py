"""SQL transforms: relationship-graph and engagement tables built from the raw Instagram tables.

`run_transforms(pipeline)` builds every model in `transforms/sql/` into the
`instagram_analytics` dataset, where the pipeline loaded its data; `python -m transforms` does
the same for the pipeline named `instagram`.
"""

from transforms.contracts import ContractError
from transforms.runner import ANALYTICS_DATASET, ModelRun, TransformError, TransformInterrupted, run_transforms

__all__ = ["ANALYTICS_DATASET", "ContractError", "ModelRun", "TransformError", "TransformInterrupted", "run_transforms"]
