"""The investigators' interactive app (``make explore``, ``notebooks/explore.ipynb``).

``selection`` says what a user picked (view, endpoint, population, cutoff, subgroup filters,
landmark) and whether that departs from the prespecified analysis; ``views`` computes each view
with the analysis, statistics and presentation layers and writes the few lines of ``helpers``
calls that reproduce it; ``app`` puts them in a Panel page; ``python -m helpers.explore`` serves it.
The top layer: it may import every other layer but ``synthetic``; nothing imports it.
"""
