"""Makes `covseg_training` importable when pytest runs from the repository root or from training/."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
