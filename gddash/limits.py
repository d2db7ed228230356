"""What one visitor may ask of the shared server, in one place.

gddash is served to everyone from one process of about 1 GB (Streamlit Community
Cloud), so each action is bounded in memory and in CPU *before* its work starts,
and each refusal names the limit and what to do. The README states these numbers;
``.streamlit/config.toml`` repeats the upload cap (a test keeps them equal).
"""

from __future__ import annotations

# --- Memory: what an upload may hold ---------------------------------------------
# Eight visitors uploading at once must fit in the server (about 1 GB, some 400
# MB of it the app at rest). Streamlit keeps each upload's bytes until the
# visitor's stored session expires and another visitor connects, and holds
# about twice the file while receiving it: 10 MB a visitor keeps eight within
# ~900 MB (``benchmarks/abuse.py``).
MAX_UPLOAD_MB = 10  # server.maxUploadSize
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
# Rows x columns of a table, counted from the raw bytes before parsing: at 8 bytes
# a numeric cell the parsed table stays within ~8 MB, and so does its prepared
# dataset, whatever its shape (about what 10 MB of CSV holds).
MAX_CELLS = 1_000_000
# Bundled samples are ours, not uploads: the largest (250,000 rows × 5 columns)
# holds more cells than one upload may.
SAMPLE_CELLS = 2_000_000
# A header or data line longer than this is refused from the raw bytes, before
# the parser builds a column per field (200 columns of 300 characters fit).
MAX_LINE_BYTES = 64 * 1024

# --- CPU: what one action may compute ----------------------------------------------
# A comparison's work in row x parameter products (``compare.work``, which also
# charges each update for its rule and schedule): with the page's charts, well
# within two seconds of one core, whatever the shape of the data. This VM's CPU
# is shared and the same load measures up to ~30% dearer at busy times, so the
# worst links aim at ~1.5 s: at 130M the 200-column upload took 1.93 s (max 2.28)
# and the large sample's plain-SGD link 1.63 s (max 1.91) (benchmarks/abuse.py).
COMPARISON_WORK = 110_000_000
# The optimum reference of an objective with no closed form (FISTA for L1 on the
# log-loss or softmax, Newton, L-BFGS): at most this many iterations, and fewer on
# large data so that its passes stay within a tenth of a comparison (an iris
# softmax lasso ran 20,000 FISTA iterations, 2-7 s, before this cap).
OPTIMUM_ITERATIONS = 5_000
OPTIMUM_WORK = COMPARISON_WORK // 10
# A sweep (the tune page) runs many comparisons' worth on both cores: at most ten.
# One larger than a comparison waits for a click, so a link never starts it.
SWEEP_WORK = 10 * COMPARISON_WORK
# The explorer runs every chosen rule for up to this many steps in total: at
# 10,000 the costliest formula the parser accepts took 1.45-1.88 s of CPU with its
# frames (max 2.27 at a busy time); 7,500 aims at ~1.4 s.
EXPLORER_STEPS = 7_500
# What one explorer step weighs against ``LIGHT_WORK``, in row x parameter
# products: the costliest accepted formula took ~145 us a step with its frames and
# read-outs, ~16,000 products' worth; a thousand (the old figure) let six such
# links run at once outside the one-slot queue.
EXPLORER_STEP_WORK = 10_000
# Work below this (about a tenth of a second) skips the server's one-slot queue
# for heavy work (``ui.cache.heavy_work``): small runs never wait behind large.
LIGHT_WORK = 20_000_000

# --- Memory: what a large source may hold in one piece ------------------------------
# A Parquet file is read a row group at a time (the smallest piece it can be read
# in), and a streamed run holds three pieces as float64 columns, a pass two. A
# default comparison's peak grows with the largest group, not with the source:
# one group of 8·10⁶ rows × 11 columns (704 MB) peaked at 2.56 GB. Four files of
# one group each at 246 MB peaked at 1.46 GB (log-loss 1.53 GB), at 200 MB at
# 1.23-1.29 GB (log-loss 1.21 GB), within ``benchmarks/scale.py``'s 1.5 GB, which
# measures it. pyarrow writes groups of 2²⁰ rows: up to 23 chosen columns fit.
MAX_GROUP_BYTES = 200_000_000
# A CSV source is read in blocks of 64-128 MB (a file of s bytes in s // 64 MB
# even blocks, as Dask cuts it), each extended to the end of its last line, and
# its first rows (for their types) from at most its first 64 MB: a line longer
# than this, met at a block's edge or as the header, is refused, so a block
# holds at most 128 MB and one such line whatever the file (a 300 MB line
# took the check of a folder's types to 785 MB; 10,000 columns of 25 characters
# make a 250 KB line).
MAX_SOURCE_LINE_BYTES = 16 * 1024 * 1024
# Files in one large source: each is listed on every rerun of the page (~50 us a
# file: 20,000 took 1 s) and its footer or first rows read before the run, so a
# path or glob that matches more is refused after listing this many plus one.
MAX_SOURCE_FILES = 10_000
# Features of a large comparison, as an upload's columns but the target: XᵀX,
# the optimum and the surface cost O(d²) memory and O(d³) time whatever the
# rows. Unbounded, a default comparison of a 2,000-row Parquet file of 3,000
# columns took 2.5 min and 1.1 GB; at 30,000 columns XᵀX alone is 7.2 GB.
MAX_SOURCE_FEATURES = MAX_COLUMNS - 1
# Columns of a large source's files, counted from a Parquet footer or a CSV
# header line before Dask plans anything: Dask's first read of a 3,000-column
# Parquet file took 5.9 s, of a 12,000-column one 99.8 s (it grows with their
# square), from a path or URL a visitor typed; at 1,000 columns it takes 0.7 s.
MAX_SOURCE_COLUMNS = 1_000
# A Parquet file's footer (its schema and every row group's metadata), from its
# last 8 bytes, before pyarrow or Dask reads it: a 207 MB file of 100,000 one-row
# groups has a 108 MB footer, and a default comparison of it took 77 s and 3.0 GB
# (the footer is parsed for Dask's plan and again for each piece). 10⁸ rows of
# 11 columns in pyarrow's default groups have a footer of ~0.2 MB; 1,000 columns
# in 100 groups of ~15 MB.
MAX_FOOTER_BYTES = 16 * 1024 * 1024
# A large source's column name is shown in its column list, the target and
# feature menus and the link, on every rerun: a 1 MB name (a CSV header line may
# hold 16 MiB) worked, but travelled to the browser with each of them.
MAX_COLUMN_NAME_CHARS = 1_000
# Files and folders a local path or glob may look through to find its files (a
# typed ``**/*.csv`` walks everything below the data folder): it is refused after
# this many. Looking through 100,000 takes 0.1-0.2 s for a glob, 0.5 s for a folder
# (whose every file name is checked for a data file's suffix).
MAX_SOURCE_ENTRIES = 100_000
