"""mathmine.corpus: WARC files -> documents -> Parquet shards of math web pages.

Data flows one way: reading (WARC) -> extraction -> language ID -> dedup -> rounds of
classifier recall and discovery -> math extraction -> decontamination -> final shards.
Every stage is a pure function from one input shard to one output shard plus a stats record;
`corpus.executors` maps stages over shards, locally or on Ray.
"""
