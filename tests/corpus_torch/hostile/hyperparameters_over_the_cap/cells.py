# ruff: noqa
# Attack (the grader's work sized by the student): the SVM's model saved with the old
# rubric maxima, num_iters=5000 x batch_size=1000 (5,000,000 examples).


# --- cell: svm_model_file
torch.save({"W": 0.0001 * torch.randn(3073, 10), "learning_rate": 5e-3, "reg": 5e-2,
            "num_iters": 5000, "batch_size": 1000}, path)
