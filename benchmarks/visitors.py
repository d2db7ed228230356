"""Eight visitors at once on one server: ``python benchmarks/visitors.py --waves 3``.

The visitors are driven by ``tests/browser/visitors.py``, which the browser test
``test_many_visitors`` runs once; this runs it for more rounds and prints the
figures.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.visitors import main

if __name__ == "__main__":
    main()
