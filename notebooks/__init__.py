"""The notebooks, installed with hnn as the package hnn.notebooks: `hnn notebooks DIR` copies them out."""
