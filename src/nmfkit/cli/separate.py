"""``nmfkit separate``: split a mono recording into sources with convolutive NMF."""

import math
import os
import time

import numpy as np

from ..applications.audio import separate, spectrogram
from ..core.files import write_atomic
from ..core.losses import beta_from_loss
from ..estimators.convolutive import ConvolutiveNMF
from ._common import CLIError, add_loss, check_paths, loss_of


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    s = sub.add_parser(
        "separate",
        help="split a recording (.wav) into sources with convolutive NMF",
        description="Split a recording into sources: convolutive NMF (nmfkit ConvolutiveNMF) "
        "of its magnitude spectrogram with one time-frequency pattern per source, then soft "
        "masks on its STFT. Stereo is mixed down to mono. Writes DIR/source_0.wav, ...",
    )
    s.add_argument("input", help="the mixture, a .wav file (scipy.io.wavfile)")
    s.add_argument("--sources", type=int, default=2, help="number of sources (default: 2)")
    s.add_argument(
        "--out",
        default="separated",
        help="folder for source_0.wav, ... (made if missing; default: separated)",
    )
    s.add_argument(
        "--pattern",
        type=float,
        default=0.1,
        help="length of each source's pattern in seconds (default: 0.1; longer suits "
        "sources that repeat whole phrases, at a cost in time)",
    )
    s.add_argument("--n-fft", type=int, default=1024,
                   help="STFT window length in samples (default: 1024)")  # fmt: skip
    s.add_argument("--hop", type=int, default=None,
                   help="samples between STFT frames (default: n-fft / 4)")  # fmt: skip
    add_loss(s, default="kullback-leibler")
    s.add_argument(
        "--max-iter",
        type=int,
        default=1000,
        help="maximum iterations (default: 1000; the fit stops when it converges)",
    )
    s.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    s.set_defaults(func=run)
    return s


def _read(path):
    """(sample rate, mono float64 signal in [-1, 1] for PCM, the file's sample dtype)
    of a .wav file."""
    from scipy.io import wavfile

    try:
        sr, data = wavfile.read(path)
    except Exception as exc:  # noqa: BLE001 - a damaged file can fail anywhere in the parser
        raise CLIError(f"cannot read {path} as a .wav file ({type(exc).__name__}: {exc})") from None
    if data.dtype == np.uint8:  # 8-bit PCM is unsigned, centred on 128
        signal = (data.astype(np.float64) - 128) / 128
    elif data.dtype.kind == "i":
        signal = data / (np.iinfo(data.dtype).max + 1.0)
    else:
        signal = data.astype(np.float64)
    if signal.ndim == 2:
        signal = signal.mean(axis=1)
    if signal.size == 0:
        raise CLIError(f"{path} holds no samples")
    if not np.isfinite(signal).all():
        raise CLIError(f"{path} holds NaN or infinite samples")
    return int(sr), signal, data.dtype


def run(args):
    """``nmfkit separate``: fit, separate, write one .wav per source."""
    if not os.path.isfile(args.input):
        raise CLIError(f"no such file: {args.input}")
    if args.sources < 1:
        raise CLIError(f"--sources must be at least 1, got {args.sources}")
    if not (math.isfinite(args.pattern) and args.pattern > 0):
        raise CLIError(f"--pattern must be a positive number of seconds, got {args.pattern}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CLIError(f"--out {args.out} is a file; name a folder")
    parent = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(parent):
        raise CLIError(f"cannot make the folder {args.out}: {parent} does not exist")
    paths = [os.path.join(args.out, f"source_{j}.wav") for j in range(args.sources)]
    beta_loss = loss_of(args)
    sr, signal, sample_dtype = _read(args.input)
    hop = args.hop if args.hop is not None else args.n_fft // 4
    S, stft = spectrogram(signal, sr, n_fft=args.n_fft, hop=hop)
    frames = max(1, math.ceil(args.pattern * sr / hop))
    if frames > S.shape[0]:
        raise CLIError(
            f"--pattern {args.pattern} s is {frames} frames but the recording has only "
            f"{S.shape[0]}; use a shorter --pattern"
        )
    if S.max() == 0:
        raise CLIError(f"{args.input} is silent: nothing to separate")
    model = ConvolutiveNMF(
        args.sources, pattern_length=frames, beta_loss=beta_loss, max_iter=args.max_iter,
        random_state=args.seed,
    )  # fmt: skip
    model._validate()  # bad --loss or --max-iter: refused before anything is written
    # β <= 0 needs X > 0: silent bins get a floor far below what is heard
    X = S + 1e-8 * S.max() if beta_from_loss(beta_loss) <= 0 else S
    os.makedirs(args.out, exist_ok=True)
    check_paths([args.input], [(p, f"source {j} file") for j, p in enumerate(paths)])
    start = time.perf_counter()
    W = model.fit_transform(X)
    sources = separate(stft, model.component_reconstructions(W))
    elapsed = time.perf_counter() - start
    print(f"{signal.size / sr:.1f} s at {sr} Hz: {S.shape[0]} frames x {S.shape[1]} bins; "
          f"{args.sources} patterns of {frames} frames in {elapsed:.2f} s "
          f"({model.n_iter_} iterations)")  # fmt: skip
    from scipy.io import wavfile

    for j, (path, source) in enumerate(zip(paths, sources)):
        share = float(np.sum(source**2) / max(np.sum(signal**2), 1e-300))
        data = _as_samples(source, sample_dtype)
        write_atomic(path, lambda f, data=data: wavfile.write(f, sr, data))
        print(f"source {j}  {path}  ({100 * share:.0f}% of the energy)")
    return 0


def _as_samples(source, dtype):
    """A source in the input file's sample format: 16- and 32-bit PCM stay PCM (the
    same scale as read, clipped), 8-bit and float files give float32."""
    if dtype.kind == "i" and dtype.itemsize in (2, 4):
        top = np.iinfo(dtype).max + 1.0
        return np.clip(np.round(source * top), -top, top - 1).astype(dtype)
    return source.astype(np.float32)
