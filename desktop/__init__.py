"""The PySide6 desktop application (GUI only: everything it does, calc/ and forms/ can do without it)."""
import sys as _sys

if _sys.version_info < (3, 12):
    # PySide6 6.12 on CPython 3.11 drops one reference to None on every void Qt call and to True on
    # every Python signal emit; after some thousands of calls the interpreter aborts ("none_dealloc").
    # Python 3.12 made these objects immortal; give them an unreachable reference count here.
    import ctypes as _ctypes

    for _obj in (None, True, False):
        _ref = _ctypes.c_ssize_t.from_address(id(_obj))
        if _ref.value < 1 << 40:
            _ref.value += 1 << 42
