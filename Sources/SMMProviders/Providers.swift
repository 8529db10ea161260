// Upstream providers: other panels speaking API v2, which SMMPanel resells.
