"""Side-by-side performance and quality measurements against named anchors (run by `make bench`)."""
