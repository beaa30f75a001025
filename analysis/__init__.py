"""Analysis: pure counting and statistics over observations, plus one edge module that reads the store."""
