"""Pinned tools: read .tool-versions, find binaries (cache first, then PATH), install them."""
