"""mathmine.training: Parquet shards -> model. Continued pretraining, SFT, GRPO and evaluation on
Accelerate and transformers, with the paper's recipes as defaults."""
