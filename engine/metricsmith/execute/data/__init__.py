"""The bottom of execution, shared by every engine: reading a declared source into Arrow with
its declared types (`reading`), key checks (`keys`), an answer in the plan's result schema
(`conform`) and integer and validity arrays of Arrow data (`arrays`). Nothing here imports
an engine."""
