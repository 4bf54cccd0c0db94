"""Keep what moto holds for its own tests out of `pagerless dev`.

**Every model instance moto ever made** (``stop_instance_tracking``). moto's ``BaseModel.__new__``
appends each instance of every model class to a class list, ``instances_tracked``, that only
moto's test reset and its ``/moto-api/data.json`` dump read; nothing ever removes from it. A
DynamoDB ``Item`` is a model, and moto deep-copies items on every read and write (``GetItem``,
``UpdateItem``, and every item a ``Query`` or ``Scan`` touches), so each request left copies of
the items it touched behind for the life of the process: in a soak, ~43,000 of 46,600 live
``Item`` objects were such copies (3,400 were in the tables), and since reads touch more items as
the tables fill, memory grew faster and faster (docs/performance.md, "Memory"). Stopping the
tracking leaves every model where its backend keeps it; ``/moto-api/data.json`` lists nothing.

**moto's EC2 data** (``skip_ec2_data``): about 56 MB that nothing here uses.

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


def stop_instance_tracking() -> int:
    """moto's models stop listing their instances; returns how many listed ones were let go."""
    from moto.core.base_backend import model_data
    from moto.core.common_models import BaseModel

    if not getattr(BaseModel, "_pagerless_untracked", False):

        def untracked(cls, *args, **kwargs):
            return super(BaseModel, cls).__new__(cls)

        BaseModel.__new__ = untracked
        BaseModel._pagerless_untracked = True
    released = 0
    for models in model_data.values():
        for model in models.values():
            tracked = getattr(model, "instances_tracked", None)
            if tracked:
                released += len(tracked)
                tracked.clear()
    return released


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
