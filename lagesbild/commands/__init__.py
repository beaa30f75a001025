"""One module per command group; `lagesbild.cli` registers each by name."""
