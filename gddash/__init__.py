"""gddash: gradient descent made visible and measurable on real data.

The package is layered (docs/ARCHITECTURE.md): ``gddash.engine`` runs descent on
arrays, ``gddash.data`` turns CSV bytes into arrays, ``gddash.functions`` turns
typed formulas into callables, and only ``gddash.ui`` talks to Streamlit.
"""

__version__ = "0.1.0"
