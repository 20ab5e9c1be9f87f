"""Training data: Parquet / hub sources, packing into fixed-length rows, weighted mixing, positions."""
