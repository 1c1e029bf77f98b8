"""opslens — an operations-optimization workbench.

The package has three faces: the Django-free library ``opslens.core``, the ``opslens`` command
line (``opslens.cli``) and the Django web workbench (``opslens.web``).
"""

__version__ = "0.1.0"
