# ruff: noqa
# Attack: the saved model is a pickle whose loading runs code (a file written, here).
# Defence: models are loaded in the child with torch.load(weights_only=True), which
# refuses anything but tensors and plain containers; the parent never unpickles them.


# --- cell: svm_model_file
import os
import pickle


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {path}.pwned",))


torch.save({"W": Payload(), "learning_rate": 5e-3, "reg": 5e-2, "num_iters": 2000,
            "batch_size": 200}, path)
