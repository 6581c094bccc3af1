"""Post-install: the steps a person would otherwise type after each stage is applied."""
