"""The model: frozen attrs nodes with spans for what definition files say (`expr`, `decl`),
what check resolves them to (`bound`), their types and time units (`types`, `time`)."""
