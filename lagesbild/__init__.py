"""The `lagesbild` command line: thin commands that parse arguments, call one stage function and print."""
