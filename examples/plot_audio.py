"""
Separating sounds with convolutive NMF
======================================

A magnitude spectrogram (frames × frequency bins) is non-negative. ``ConvolutiveNMF``
gives each component a time–frequency *pattern* a few frames long that starts wherever
its activation is non-zero (Smaragdis 2004), so a sound that changes over time, such as a
chirp, is one component. Each component's part of the model gives a soft mask of the
mixture's STFT, and the inverse STFT gives the separated signals. The mixture here is
generated: a rising chirp and a drum-like hit, repeated at random times. :doc:`/audio`
compares it with plain NMF.
"""

import matplotlib.pyplot as plt
import numpy as np

from nmfkit import ConvolutiveNMF
from nmfkit.applications.audio import (
    component_parts,
    oracle_labels,
    separate,
    spectrogram,
    synthetic_sources,
)

sr = 8000
sources = synthetic_sources(sr, duration=3.0, random_state=0)  # (2, 24000)
mixture = sources.sum(axis=0)
S, stft = spectrogram(mixture, sr, n_fft=512, hop=128)  # frames x bins
truth = np.stack([spectrogram(s, sr, n_fft=512, hop=128)[0] for s in sources])

model = ConvolutiveNMF(2, pattern_length=12, max_iter=300, tol=1e-3, random_state=0)
W = model.fit_transform(S)
parts = component_parts(model, W)  # (2, frames, bins): each component's part of the model
labels = oracle_labels(parts, truth)  # which true source each component is (needs the truth)
estimates = separate(stft, parts, labels)  # (2, samples)
n = min(estimates.shape[1], sources.shape[1])
for name, est, ref in zip(("chirp", "drum"), estimates[:, :n], sources[:, :n]):
    snr = 10 * np.log10((ref**2).sum() / ((ref - est) ** 2).sum())
    print(f"{name}: signal-to-error ratio {snr:.1f} dB")

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
extent = (0, S.shape[0] * 128 / sr, 0, sr / 2)
names = ("chirp", "drum")
titles = ["mixture"] + [f"component {j}: the {names[labels[j]]}" for j in range(2)]
for ax, image, title in zip(axes, (S, parts[0], parts[1]), titles):
    ax.imshow(np.log1p(image.T), origin="lower", aspect="auto", extent=extent, cmap="magma")
    ax.set_title(title)
    ax.set_xlabel("seconds")
axes[0].set_ylabel("Hz")
fig.tight_layout()
