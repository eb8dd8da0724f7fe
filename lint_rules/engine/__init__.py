"""Text in, findings out, knowing no rule: the pipeline (start with ``pipeline.py``), the
module index, the shared traversal, positions, names, and the catalog types (``info.py``)."""
