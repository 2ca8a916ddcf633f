"""The grader's own torch losses, for the speed checks only: the naive loops and the
vectorized versions a careful student writes, run in a sandbox session of their own on
the same inputs as the student's, so speedups are compared with what torch does here.
Correctness is judged against autograder/assignments/linear/oracle.py, never against these.

Each function is sent to the child as a definition cell (its namespace has torch).
"""

import torch


def svm_loss_naive(W, X, y, reg):
    dW = torch.zeros_like(W)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = W.t().mv(X[i])
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * torch.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(W * W)
    coeff = (margins > 0).to(X.dtype)
    coeff[rows, y] = -coeff.sum(dim=1)
    dW = X.t().mm(coeff) / num_train + 2 * reg * W
    return loss, dW


def softmax_loss_naive(W, X, y, reg):
    dW = torch.zeros_like(W)
    num_train = X.shape[0]
    num_classes = W.shape[1]
    loss = 0.0
    for i in range(num_train):
        scores = W.t().mv(X[i])
        scores = scores - scores.max()
        probs = torch.exp(scores) / torch.exp(scores).sum()
        loss += -torch.log(probs[y[i]])
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (1.0 if j == y[i] else 0.0)) * X[i]
    loss = loss / num_train + reg * torch.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    scores = scores - scores.max(dim=1, keepdim=True).values
    log_probs = scores - torch.logsumexp(scores, dim=1, keepdim=True)
    loss = -log_probs[rows, y].mean() + reg * torch.sum(W * W)
    probs = log_probs.exp()
    probs[rows, y] -= 1
    dW = X.t().mm(probs) / num_train + 2 * reg * W
    return loss, dW
