"""The shared inputs: the memory the inputs of some calls go through (a loss call's W, X, y).

The parent writes them after it read the child's CPU clock, so nothing can be computed
from them outside the timed window, and compares the bytes there after the reply, so
whether student code changed its inputs is read on the parent's side, never asked. The
assignment's [operations] name which arguments of an operation go this way (`shared`).
"""

from __future__ import annotations

import fcntl
import mmap
import os

import numpy as np

from .wire import ALIGN

# What `SharedInputs.write` returns per input: what was sent, and its view in the memory.
Sent = dict[str, tuple[np.ndarray, np.ndarray]]


class SharedInputs:
    """A sealed memfd of `size` bytes, mapped here; the child gets the descriptor."""

    def __init__(self, size: int) -> None:
        # Sealed against shrinking: student code holds the descriptor too, and a truncated
        # file would make the parent's next write into the mapping a fatal SIGBUS.
        fd = os.memfd_create("autograder-shared-inputs", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(fd, size)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
        self.fd = fd
        self.size = size
        self._memory = mmap.mmap(fd, size)

    def write(self, args: dict, keys: list[str]) -> tuple[dict, Sent]:
        """Copy the arrays `keys` of `args` into the memory; the request then carries
        only where they are (`inputs`: key -> [dtype, shape, offset]).

        Every call of such an operation goes this way, whether the checks use it for a
        value or a timing: one code path, nothing for student code to tell apart. The
        copy is the parent's CPU, not the child's."""
        inputs, sent, offset = {}, {}, 0
        for key in keys:
            arr = np.ascontiguousarray(args.pop(key))
            offset += -offset % ALIGN
            if offset + arr.nbytes > self.size:
                raise TypeError(f"shared inputs exceed Limits.shared_input_bytes "
                                f"({self.size} bytes)")
            view = np.frombuffer(self._memory, dtype=arr.dtype, count=arr.size,
                                 offset=offset).reshape(arr.shape)
            view[...] = arr
            inputs[key] = [arr.dtype.str, list(arr.shape), offset]
            sent[key] = (arr, view)
            offset += arr.nbytes
        return {**args, "inputs": inputs}, sent

    @staticmethod
    def mutated(sent: Sent) -> list[str]:
        """The inputs whose bytes in the memory differ from what the parent wrote: read
        on the parent's side, whatever the child says."""
        return [key for key, (arr, view) in sent.items()
                if not np.array_equal(view.reshape(-1).view(np.uint8),
                                      arr.reshape(-1).view(np.uint8))]

    def close(self) -> None:
        self._memory.close()
        os.close(self.fd)
