"""npnet: chapters 4-6 of *Deep Learning from Scratch* in NumPy alone, with the book's names and signatures.

Modules, bottom up: ``functions`` (activations, softmax, losses), ``gradient`` (numerical differentiation and the
gradient check), ``layers`` (the backprop layers), ``nets`` (networks built from layers), ``train`` (the SGD loop),
``datasets`` (MNIST). npnet never imports PyTorch; its twin package ``oracle`` does.
"""

__version__ = "0.1.0"
