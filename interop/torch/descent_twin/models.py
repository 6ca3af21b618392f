"""Descent's two model families in PyTorch (Sources/Models), with the state_dict names of the
safetensors files (README "Export and import"):

  bigram: table.weight (V, V), an nn.Embedding whose row a holds the logits after token a; zeros.
  mlp:    embedding.weight (V, d)                 ~ N(0, 1)
          hidden.{i}.weight (H, T·d or H), .bias  ~ N(0, 1) · gain / √fan_in, bias 0
                                                  (gain 1 for layer 0; 5/3 for tanh, √2 for ReLU/GELU after)
          output.weight (V, H), output.bias (V)   ~ N(0, 1) · 0.01, bias 0
  x = concat(E[t_1] … E[t_T]) oldest first; h = f(x Wᵀ + b) per hidden layer; logits = h W_outᵀ + b_out.

Training drops hidden activations with probability `dropout` after every hidden nonlinearity
(inverted dropout, as Descent's `model.dropout`); `model.eval()` turns it off. The masks are
torch's draws, not Descent's hash of (seed, step, element).
The distributions are Descent's; the random bits are torch's (Descent draws from Xoshiro256).
GELU is the tanh approximation, 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), as Descent's.
"""

import math

import torch
from torch import nn

ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "gelu": lambda x: nn.functional.gelu(x, approximate="tanh"),
}


class Bigram(nn.Module):
    def __init__(self, architecture):
        super().__init__()
        self.architecture = dict(architecture)
        v = architecture["vocabularySize"]
        self.table = nn.Embedding(v, v)

    def initialize(self, generator):
        with torch.no_grad():
            self.table.weight.zero_()

    def forward(self, contexts):
        return self.table(contexts[:, -1])


class MLP(nn.Module):
    def __init__(self, architecture, dropout=0.0):
        super().__init__()
        self.dropout = dropout
        self.architecture = dict(architecture)
        v, t = architecture["vocabularySize"], architecture["contextLength"]
        d, h = architecture["embeddingSize"], architecture["hiddenSize"]
        self.embedding = nn.Embedding(v, d)
        self.hidden = nn.ModuleList(nn.Linear(t * d if i == 0 else h, h) for i in range(architecture["hiddenLayers"]))
        self.output = nn.Linear(h, v)
        self.activation = ACTIVATIONS[architecture["activation"]]

    def initialize(self, generator):
        gain = 5.0 / 3.0 if self.architecture["activation"] == "tanh" else math.sqrt(2.0)
        with torch.no_grad():
            self.embedding.weight.normal_(0.0, 1.0, generator=generator)
            for i, layer in enumerate(self.hidden):
                fan_in = layer.weight.shape[1]
                layer.weight.normal_(0.0, (1.0 if i == 0 else gain) / math.sqrt(fan_in), generator=generator)
                layer.bias.zero_()
            self.output.weight.normal_(0.0, 0.01, generator=generator)
            self.output.bias.zero_()

    def forward(self, contexts):
        x = self.embedding(contexts).flatten(1)
        for layer in self.hidden:
            x = nn.functional.dropout(self.activation(layer(x)), self.dropout, self.training)
        return self.output(x)


def make(architecture, dropout=0.0):
    """A model of `architecture` (Descent's ModelArchitecture keys) with uninitialised weights;
    `dropout` is the MLP's training-time rate (model.dropout)."""
    if architecture["type"] == "bigram":
        return Bigram(architecture)
    if architecture["type"] == "mlp":
        return MLP(architecture, dropout)
    raise ValueError(f"model type {architecture['type']!r}: expected bigram or mlp")


def expected_shapes(architecture):
    """Every tensor's name and shape, in Descent's layout order (the contract)."""
    v = architecture["vocabularySize"]
    if architecture["type"] == "bigram":
        return {"table.weight": (v, v)}
    t, d, h = architecture["contextLength"], architecture["embeddingSize"], architecture["hiddenSize"]
    shapes = {"embedding.weight": (v, d)}
    for i in range(architecture["hiddenLayers"]):
        shapes[f"hidden.{i}.weight"] = (h, t * d if i == 0 else h)
        shapes[f"hidden.{i}.bias"] = (h,)
    shapes["output.weight"] = (v, h)
    shapes["output.bias"] = (v,)
    return shapes


def decay_kind(name):
    """Descent's ParameterKind of a tensor: weight matrices decay, biases never, the embedding
    table only with optimizer.decayEmbeddings."""
    if name.endswith(".bias"):
        return "bias"
    if name == "embedding.weight":
        return "embedding"
    return "weight"
