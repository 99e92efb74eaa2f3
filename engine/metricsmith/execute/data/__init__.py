"""The bottom of execution, shared by every engine: reading a declared source into Arrow with
its declared types (`reading`), key checks (`keys`), an answer in the plan's result schema
(`conform`), integer and validity arrays of Arrow data (`arrays`) and what tells versions of
the data files apart (`versions`). Nothing here imports
an engine."""
