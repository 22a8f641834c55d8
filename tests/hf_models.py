"""Tiny randomly initialised Hugging Face audio classifiers, saved with ``save_pretrained`` (no
download): the Hugging Face tests' models."""

from __future__ import annotations

from pathlib import Path

import torch

from benchmark.data.synth10 import Synth10

CLASSES = Synth10.classes
RATE = 16000


def tiny_config(transformers, kind: str, labels: int):
    """A randomly initialised classifier config a few thousand parameters large."""
    common = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}
    if kind == "ast":
        return transformers.ASTConfig(
            **common, max_length=100, frequency_stride=16, time_stride=16, num_labels=labels
        )
    convolutions = {"conv_dim": (8, 8), "conv_kernel": (10, 3), "conv_stride": (5, 2)}
    positions = {"num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 2}
    config = {"wav2vec2": "Wav2Vec2Config", "hubert": "HubertConfig", "wavlm": "WavLMConfig"}[kind]
    return getattr(transformers, config)(
        **common, **convolutions, **positions, classifier_proj_size=8, num_labels=labels
    )


def save_tiny(transformers, folder: Path, kind: str = "wav2vec2", labels: int = len(CLASSES)) -> Path:
    """``model.save_pretrained`` + ``feature_extractor.save_pretrained`` of a tiny model."""
    torch.manual_seed(0)
    config = tiny_config(transformers, kind, labels)
    config.id2label = {i: name for i, name in enumerate(CLASSES)} if labels == len(CLASSES) else None
    transformers.AutoModelForAudioClassification.from_config(config).save_pretrained(folder)
    extractor = (
        transformers.ASTFeatureExtractor(max_length=100)
        if kind == "ast"
        else transformers.Wav2Vec2FeatureExtractor(do_normalize=True)
    )
    extractor.save_pretrained(folder)
    return folder


def add_pickle_checkpoint(folder: Path) -> None:
    """What an older ``save_pretrained`` or a training script leaves: weights as a pickle."""
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04K\x00.")  # a pickle of 0
