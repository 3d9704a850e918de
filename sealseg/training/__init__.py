"""Training the Pixel Affinity Net: the loop, the losses, the exponent rule, the ``train`` command.

This room imports torch at module level (``losses``) and builds on the
inference room (``sealseg.pan``: the net, its weight files); nothing outside
it but the command line imports it.  ``training/README.md`` at the
repository's root holds the recipes and records of the shipped nets.
"""
