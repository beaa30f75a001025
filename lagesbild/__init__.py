"""lagesbild: the command-line entry package (the composition root) and the local sandbox sites."""
