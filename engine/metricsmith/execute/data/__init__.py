"""The bottom of execution, shared by every engine: reading a declared source into Arrow with
its declared types (`reading`), the Arrow types of the language's types (`types`), key checks
(`keys`) and integer and validity arrays of Arrow data (`arrays`). Nothing here imports an
engine."""
