"""Data loading and data making: readers for interaction, metadata and embedding files, and
generators of test data in the shapes real public files have (`embedviz.data.synthetic`)."""
