"""Local sandbox: three fictional Swedish escort-ad sites with known ground truth, for tests and demos."""
from sandbox.market import Market, build_market, build_truth
from sandbox.server import SandboxServer

__all__ = ["Market", "SandboxServer", "build_market", "build_truth"]
