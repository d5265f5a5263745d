"""Storage: attachment blobs, content-addressed by SHA-256."""
