"""The checker: resolves names, types formulas and collects every diagnostic in a project."""
