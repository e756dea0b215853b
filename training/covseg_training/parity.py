"""Runs training/check_parity.mjs (onnxruntime-node) on a sample written by export_onnx.write_parity_sample."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .export_onnx import ExportError

SCRIPT = Path(__file__).resolve().parent.parent / "check_parity.mjs"


class ParityError(ExportError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def check_parity(model_path: Path, sample_dir: Path, tolerance: float = 1e-4) -> dict:
    """Returns {maxAbsDiff, meanAbsDiff, tolerance, ok}; raises ParityError when ORT and PyTorch disagree."""
    completed = subprocess.run(
        ["node", str(SCRIPT), str(model_path), str(sample_dir), str(tolerance)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode not in (0, 1) or not lines:
        raise ParityError(
            f"check ONNX parity of {model_path}: node exited {completed.returncode}: {completed.stderr.strip()[-500:]}"
        )
    report = json.loads(lines[-1])
    if not report["ok"]:
        raise ParityError(
            f"check ONNX parity of {model_path}: max |ORT - PyTorch| {report['maxAbsDiff']} exceeds {tolerance}"
        )
    return report
