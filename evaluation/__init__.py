"""Scorecards: the pipeline run over the simulated market, compared with the simulation's truth."""
