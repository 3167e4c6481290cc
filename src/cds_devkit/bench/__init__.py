"""The benchmark (`make bench`, `cds bench`): stages, their timings and peak memory; see ``run``."""
