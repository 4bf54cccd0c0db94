"""Keep moto's EC2 data out of `pagerless dev`: about 56 MB that nothing here uses.

moto's Step Functions interpreter imports its Batch task integration, which imports
``moto.batch.utils`` for one enum; importing that module first imports the ``moto.batch``
package, whose models import ``moto.ec2``, which parses every EC2 instance type and every
instance-type offering of every region at import (tracemalloc: 47 MB + 9 MB of JSON kept for
the life of the process, and ~1.7 s of import). The incident workflows use no Batch task.

``skip_ec2_data`` loads ``moto.batch.exceptions`` and ``moto.batch.utils`` (small modules that
import nothing else of Batch) on their own, before anything imports them, so the interpreter
finds them without importing the package. Batch keeps working: a Batch call to the embedded AWS
imports ``moto.batch`` as usual (and then EC2), reusing these two modules.
"""

import importlib.util
import sys
from pathlib import Path

_STANDALONE = ("exceptions", "utils")  # utils imports .exceptions: that order


def skip_ec2_data() -> bool:
    """True if the two modules are now loaded on their own (False: moto.batch was already in)."""
    if "moto.batch" in sys.modules or "moto.batch.utils" in sys.modules:
        return "moto.batch" not in sys.modules
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        return False
    directory = Path(next(iter(spec.submodule_search_locations))) / "batch"
    for name in _STANDALONE:
        full_name = f"moto.batch.{name}"
        module_spec = importlib.util.spec_from_file_location(full_name, directory / f"{name}.py")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[full_name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception:
            del sys.modules[full_name]
            raise
    return True
