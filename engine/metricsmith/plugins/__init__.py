"""The plugin contracts (hook specifications, connectors, functions, formats, engines, and the
values functions share), depending only on the model; the built-in plugins in `builtin/`, above
the pipeline. The registry that collects them all is `metricsmith.registry`."""
