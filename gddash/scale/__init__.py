"""Data beyond memory: partitioned CSV / Parquet sources read through Dask.

Pure modules, one job each (no Streamlit, no charts):

* ``sources``: where rows may come from (a root folder, URLs) and reading them;
* ``columns``: the chosen target and features, checked against the source;
* ``schema``: the chosen columns checked file by file (same kind everywhere);
* ``cluster``: where Dask computes (a scheduler address, or local threads);
* ``gram``: the one-pass sums of the squared loss and the standardisation;
* ``passes``: full-data losses and gradients of any loss, one pass per stack of θ;
* ``stream``: SGD and mini-batch streamed through partitions, bounded memory;
* ``compare``: the comparison on a source (the same table as the compare page);
* ``progress``: where a running comparison is, in the page's and the CLI's words;
* ``report``: a comparison written to a folder (CSV, Parquet, HTML, JSON).

Dask is optional for the public app: it is imported on first use, and a missing
install is a ``DataError`` that names the pip command.
"""
