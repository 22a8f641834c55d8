"""The classifiers Esmaeilpour et al. compare on 2D representations (sec. 4.2, sec. 5.1, Table 6).

"We preserved the architectures of these ConvNets except for the first layer and the last layer
[...] we bilinearly interpolate [the spectrograms] to fit 128x128": every network here takes the
channels of its ``input_shape`` (1 for a spectrogram) and ends in ``num_classes`` logits, and the
``"paper"`` configs keep the published widths and depths at the published input, 1x128x128
(``<base>_resized`` representations). ``"compact"`` configs keep each layer sequence with fewer
channels, sized to train in seconds on CPU on the embedded dataset at the same 1x128x128 input.

Table 6 gives parameter counts only as ratios to ResNet-18 (e.g. ResNet-56 +49.88 %, SB-CNN
-14.14 %) that no standard form of these networks reproduces (the CIFAR ResNet-56 of He et al.
has 0.85M weights to ResNet-18's 11M), so the published architectures are followed instead and
the counts are stated in the tests.
"""

from benchmark.models.esmaeilpour.alexnet import alexnet
from benchmark.models.esmaeilpour.googlenet import googlenet
from benchmark.models.esmaeilpour.lstm import lstm
from benchmark.models.esmaeilpour.resnet import resnet18, resnet34, resnet56
from benchmark.models.esmaeilpour.sbcnn import sbcnn

__all__ = ["alexnet", "googlenet", "lstm", "resnet18", "resnet34", "resnet56", "sbcnn"]
