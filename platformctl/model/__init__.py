"""The model: platform.toml → validated environments, the rendered live tree, its unit graph."""
