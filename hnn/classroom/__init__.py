"""hnn for a class: the exercises and their grading, variants of the walkthrough (sweeps), and the notebooks and links
handed to students."""
