"""Two training steps in PyTorch, in float64, for the engine's golden tests (as llm.c's
test_gpt2 compares against train_gpt2.py's dump).

  resnet20 REFERENCE_PY WEIGHTS BATCH OUT   ResNet20 of the reference script, cross-entropy
  mlp WIDTHS WEIGHTS BATCH OUT              nn.Sequential(Linear, Tanh, ..., Linear), MSE

WEIGHTS: the state dict (safetensors). BATCH: x and y. OUT (float32: computed in float64, then
rounded) gets the logits (or predictions),
the loss, every parameter's gradient (grad.NAME), the running statistics after the forward
pass, every parameter after one SGD step (after.NAME), and for the MLP the same for a second step on
the same batch (output2, grad2.NAME, after2.NAME), where momentum counts. (After ResNet20's
first step some pixel lies within float32's rounding of a ReLU's edge, and its mask there may
differ from float64's, so a second step is not compared there.) lr 0.1 (resnet20) or 0.01
(mlp), momentum 0.9,
weight decay 0.05 (resnet20: the recipe's 5e-4 would move a weight by lr·wd·w ≈ 5e-6, below
what float32 can show) or 0 (mlp), torch.optim.SGD's own step.
"""
import importlib.util
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import tensors


def resnet20(reference):
    spec = importlib.util.spec_from_file_location("resnet20_torch", reference)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ResNet20()


def mlp(widths):
    widths = [int(w) for w in widths.split(",")]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def main():
    kind, spec, weights, batch, out = sys.argv[1:6]
    model = resnet20(spec) if kind == "resnet20" else mlp(spec)
    model = model.double()
    state = {k: v.double() if v.is_floating_point() else v for k, v in tensors.load(weights).items()}
    model.load_state_dict(state, strict=True)
    data = tensors.load(batch)
    x = data["x"].double()
    model.train()
    lr, decay = (0.1, 0.05) if kind == "resnet20" else (0.01, 0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=decay)

    def forward_backward():
        optimizer.zero_grad()
        output = model(x)
        if kind == "resnet20":
            loss = F.cross_entropy(output, data["y"].long())
        else:
            loss = F.mse_loss(output, data["y"].double())
        loss.backward()
        return output, loss

    output, loss = forward_backward()
    result = {"output": output.detach(), "loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        result["grad." + name] = p.grad.detach().clone()
    for name, b in model.named_buffers():
        if b.is_floating_point():
            result["state." + name] = b.detach().clone()
    optimizer.step()
    for name, p in model.named_parameters():
        result["after." + name] = p.detach().clone()
    if kind == "mlp":  # tanh has no kink: a second step stays comparable in float32
        output2, _ = forward_backward()
        result["output2"] = output2.detach()
        for name, p in model.named_parameters():
            result["grad2." + name] = p.grad.detach().clone()
        optimizer.step()
        for name, p in model.named_parameters():
            result["after2." + name] = p.detach().clone()
    tensors.save({k: v.float() for k, v in result.items()}, out)  # the engine reads float32
    print(json.dumps({"loss": loss.item(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
