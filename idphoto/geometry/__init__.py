"""Pure geometry over numpy arrays, run wherever Stage A runs: the aligned head region, the mesh's named points, head
measurements (chin, crown, eye line), their confidence, and head pose and expression."""
