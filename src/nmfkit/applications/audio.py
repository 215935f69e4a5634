"""Audio source separation with NMF: spectrograms, Wiener masks, synthetic mixtures.

The spectrograms here are frames × frequency bins (scikit-learn's samples × features,
the transpose of the audio literature's bins × frames), so they go straight into
``ConvolutiveNMF`` or ``NMF``. The transforms are SciPy's (``scipy.signal.ShortTimeFFT``,
periodic Hann window); separation is by soft (Wiener-style) masks: each source gets the
share Λⱼ / Σᵢ Λᵢ of every time–frequency bin of the mixture's complex STFT, where Λⱼ
is the part of the model's reconstruction that belongs to it, and the masked STFTs go
back to signals by the inverse STFT. The masks sum to one, so the sources sum to the
mixture.

Typical use::

    S, stft = spectrogram(mixture, sr)                    # S: frames x bins
    model = ConvolutiveNMF(4, pattern_length=12, random_state=0)
    W = model.fit_transform(S)
    parts = component_parts(model, W)                     # (k, frames, bins)
    sources = separate(stft, parts, labels=[0, 0, 1, 1])  # (2, len(mixture))
"""

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.signal import ShortTimeFFT, butter, chirp, sosfilt
from scipy.signal.windows import hann

from ..core.losses import EPSILON

__all__ = [
    "STFT",
    "spectrogram",
    "component_parts",
    "separate",
    "oracle_labels",
    "synthetic_sources",
]


@dataclass(frozen=True)
class STFT:
    """A signal's complex short-time Fourier transform and how to invert it.

    Attributes
    ----------
    values : ndarray of complex of shape (n_frames, n_bins)
        One row per frame (frames × bins), n_bins = n_fft // 2 + 1.
    sr : float
        Sample rate (Hz).
    n_fft : int
        Window length and FFT size (samples).
    hop : int
        Samples between frames.
    length : int
        Samples of the signal, which ``inverse`` returns.
    """

    values: np.ndarray
    sr: float
    n_fft: int
    hop: int
    length: int

    def inverse(self, values=None):
        """The signal of ``values`` (default: this STFT's), by SciPy's inverse STFT.

        Parameters
        ----------
        values : ndarray of complex of shape (n_frames, n_bins), optional

        Returns
        -------
        ndarray of shape (length,)
        """
        values = self.values if values is None else values
        return _transform(self.sr, self.n_fft, self.hop).istft(values.T, k1=self.length)


def _transform(sr, n_fft, hop):
    """SciPy's STFT with a periodic Hann window of n_fft samples."""
    return ShortTimeFFT(hann(n_fft, sym=False), hop=hop, fs=sr)


def _check_int(value, name, low, high, caller):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{caller}: {name} must be an int; got {value!r}.")
    if not low <= value <= high:
        raise ValueError(
            f"{caller}: {name}={value} is out of range; use {low} <= {name} <= {high}."
        )


def spectrogram(signal, sr, n_fft=1024, hop=None, power=1):
    """The magnitude (or power) spectrogram of a signal, frames × bins, and its STFT.

    Parameters
    ----------
    signal : array-like of shape (n_samples,)
        Real and finite (one channel; average the channels of a stereo file first).
    sr : float
        Sample rate (Hz).
    n_fft : int, default=1024
        Window length and FFT size: n_fft // 2 + 1 frequency bins.
    hop : int, optional
        Samples between frames; default n_fft // 4 (75 % overlap). At most n_fft // 2,
        so that the Hann windows overlap enough for the STFT to be inverted.
    power : {1, 2}, default=1
        1: magnitude ``|Z|`` (for KL-NMF), 2: power ``|Z|²`` (for Itakura–Saito).

    Returns
    -------
    S : ndarray of shape (n_frames, n_bins)
        ``|Z|^power``, ≥ 0: one row per frame.
    stft : STFT
        The complex values Z and what ``separate`` needs to invert them.
    """
    caller = "spectrogram"
    x = np.asarray(signal)
    if x.ndim != 1 or x.dtype.kind not in "biuf":
        raise ValueError(
            f"{caller}: signal must be a 1-D array of real numbers; got shape {x.shape} of "
            f"{x.dtype} (for stereo, pass signal.mean(axis=1))."
        )
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{caller}: signal holds NaN or infinite values; remove or zero them.")
    if not (isinstance(sr, numbers.Real) and sr > 0):
        raise ValueError(f"{caller}: sr must be a positive number of Hz; got {sr!r}.")
    _check_int(n_fft, "n_fft", 4, 1 << 20, caller)
    hop = n_fft // 4 if hop is None else hop
    _check_int(hop, "hop", 1, n_fft // 2, caller)
    if power not in (1, 2):
        raise ValueError(f"{caller}: power must be 1 (magnitude) or 2 (power); got {power!r}.")
    if x.size < n_fft:
        raise ValueError(
            f"{caller}: the signal has {x.size} samples, fewer than n_fft={n_fft}; use a "
            "smaller n_fft."
        )
    Z = np.ascontiguousarray(_transform(float(sr), n_fft, hop).stft(x).T)
    stft = STFT(Z, float(sr), int(n_fft), int(hop), x.size)
    S = np.abs(Z)
    return (S if power == 1 else S * S), stft


def component_parts(model, W):
    """Each component's part of a fitted model's reconstruction, frames × bins.

    Parameters
    ----------
    model : ConvolutiveNMF or NMF
        Fitted. ``ConvolutiveNMF``'s parts are its ``component_reconstructions``; an
        NMF's are the outer products W[:, j] H[j].
    W : ndarray of shape (n_frames, n_components)
        The model's activations of the spectrogram (``fit_transform``).

    Returns
    -------
    ndarray of shape (n_components, n_frames, n_bins)
    """
    if hasattr(model, "component_reconstructions"):
        return model.component_reconstructions(W)
    W, H = np.asarray(W), np.asarray(model.components_)
    return W.T[:, :, None] * H[:, None, :]


def separate(stft, parts, labels=None, power=1):
    """Source signals by soft masks: source j takes Λⱼ^p / Σᵢ Λᵢ^p of the mixture's STFT.

    Parameters
    ----------
    stft : STFT
        The mixture's, from ``spectrogram``.
    parts : array-like of shape (n_parts, n_frames, n_bins)
        Non-negative models of the sources' spectrograms (``component_parts``), on the
        scale the model fitted (magnitude or power).
    labels : array-like of int of shape (n_parts,), optional
        The source each part belongs to, 0 … n_sources − 1; parts of one source are
        added. Default: each part is a source.
    power : float, default=1
        p: 1 for the ratio of the fitted magnitudes; 2 on a magnitude model gives the
        classic Wiener mask of power spectra. Where every part is zero the bin is
        shared equally.

    Returns
    -------
    ndarray of shape (n_sources, length)
        The separated signals; they sum to the mixture (to rounding).
    """
    caller = "separate"
    parts = np.asarray(parts, dtype=np.float64)
    if parts.ndim != 3 or parts.shape[1:] != stft.values.shape:
        raise ValueError(
            f"{caller}: parts must have shape (n_parts, {stft.values.shape[0]}, "
            f"{stft.values.shape[1]}) (the mixture's frames x bins); got {parts.shape}."
        )
    if not np.isfinite(parts).all() or (parts < 0).any():
        raise ValueError(f"{caller}: parts must be finite and >= 0; check the model's fit.")
    if not (isinstance(power, numbers.Real) and power > 0):
        raise ValueError(f"{caller}: power must be a positive number; got {power!r}.")
    labels = np.arange(parts.shape[0]) if labels is None else np.asarray(labels)
    if labels.shape != (parts.shape[0],) or labels.dtype.kind not in "iu" or labels.min() < 0:
        raise ValueError(
            f"{caller}: labels must hold one source number >= 0 per part ({parts.shape[0]}); "
            f"got {labels.tolist()}."
        )
    n_sources = int(labels.max()) + 1
    sources = np.zeros((n_sources, *parts.shape[1:]))
    np.add.at(sources, labels, parts)
    if power != 1:
        sources **= power
    total = sources.sum(axis=0)
    empty = total <= EPSILON * max(float(total.max()), EPSILON)
    masks = np.where(empty, 1.0 / n_sources, sources / np.where(empty, 1.0, total))
    return np.stack([stft.inverse(m * stft.values) for m in masks])


def oracle_labels(parts, references):
    """Assign each part to the reference it correlates with best: the oracle grouping.

    For evaluation only (it needs the true sources): each part goes to the reference
    spectrogram whose cosine similarity with it (flattened) is highest.

    Parameters
    ----------
    parts : array-like of shape (n_parts, n_frames, n_bins)
    references : array-like of shape (n_sources, n_frames, n_bins)
        The true sources' spectrograms (``spectrogram`` of each source).

    Returns
    -------
    ndarray of int of shape (n_parts,)
    """
    P = np.asarray(parts, dtype=np.float64).reshape(len(parts), -1)
    R = np.asarray(references, dtype=np.float64).reshape(len(references), -1)
    P = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), EPSILON)
    R = R / np.maximum(np.linalg.norm(R, axis=1, keepdims=True), EPSILON)
    return np.argmax(P @ R.T, axis=1)


def synthetic_sources(sr=8000, duration=4.0, random_state=0):
    """Two sources made of repeating time–frequency patterns, for tests and examples.

    Source 0 is tonal: a 0.2 s rising chirp (400 → 1600 Hz, with its octave) started at
    random times. Source 1 is percussive: a drum-like hit (a decaying 80 Hz thump plus a
    decaying burst of band-pass noise, the same noise every hit) at other random times.
    Each hit gets a random gain in [0.5, 1].

    Parameters
    ----------
    sr : int, default=8000
        Sample rate (Hz).
    duration : float, default=4.0
        Seconds.
    random_state : int or None, default=0
        Seed of ``numpy.random.default_rng``: onsets, gains and the noise.

    Returns
    -------
    sources : ndarray of shape (2, round(sr * duration))
        Add them for the mixture: ``sources.sum(axis=0)``.
    """
    rng = np.random.default_rng(random_state)
    n = int(round(sr * duration))
    t = np.arange(int(0.2 * sr)) / sr
    envelope = np.sin(np.pi * t / t[-1]) ** 2
    tone = envelope * (chirp(t, 400, t[-1], 1600) + 0.5 * chirp(t, 800, t[-1], 3200))
    t = np.arange(int(0.15 * sr)) / sr
    band = butter(4, [1500, min(3500, 0.45 * sr)], btype="bandpass", fs=sr, output="sos")
    noise = sosfilt(band, rng.standard_normal(t.size))
    drum = np.exp(-t / 0.03) * np.sin(2 * np.pi * 80 * t) + 2.0 * np.exp(-t / 0.02) * noise
    sources = np.zeros((2, n))
    for row, pattern, every in ((0, tone, 0.45), (1, drum, 0.35)):
        start = int(rng.uniform(0, every) * sr)
        while start + pattern.size <= n:
            sources[row, start : start + pattern.size] += rng.uniform(0.5, 1.0) * pattern
            start += int(rng.uniform(0.6, 1.4) * every * sr)
    return sources
