"""nbgrader course configuration: source/ and release/ live at the repository root."""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (injected by traitlets)

# `nbgrader autograde` runs the notebooks' training cells: on a busy machine, several BLAS
# threads per kernel mostly wait for each other (measured 10x slower on 2 cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "linear-classifiers"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
# The gradebook is course state, not content: keep it out of the repository tree's tracked files.
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", f"sqlite:///{ROOT / 'gradebook.db'}"
)
# The models an instructor's run of the search cells saves never go into the release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*_best.npz",
                             "*_best_model.pt", "best_two_layer_net.*", "soi1010_settings.json"]
