"""Analysis helpers for a randomised trial described by a study definition (``helpers.study``).

The tree shows the layers; each imports only the ones above it in this list (checked by
``tests/test_layers.py``)::

    config, study, files   paths and project constants, the study definition, file writing
    data                   read the input, check it against the contract, cut, select populations
    stats                  statistics that know no trial: survival, competing risks, subgroups
    analysis               the trial's analyses: study + trial in, unrounded tidy results out
    present                tables (the only rounding), figures, prose, results read back
    run                    make's parameters, papermill, the one writer of outputs, the report

``synthetic`` writes the simulated trial; nothing imports it (``python -m helpers.synthetic``).
"""

__version__ = "0.1.0"
