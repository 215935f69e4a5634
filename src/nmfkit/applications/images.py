"""Parts of images: NMF on image stacks or patches, and the basis images it finds."""

import os
import warnings

import numpy as np

from ..core.files import check_memory, check_npy, check_npz

__all__ = ["extract_patches", "fit_images", "read_images", "normalize_contrast"]


def _stack(images):
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(
            f"expected a stack of grey images of shape (n_images, height, width), got shape "
            f"{images.shape}."
        )
    if images.min() < 0:
        raise ValueError(
            f"the images have negative pixels (min {images.min():.3g}); NMF needs values >= 0: "
            "shift them (images - images.min())."
        )
    return images


def normalize_contrast(images, mean=0.25, std=0.25):
    """Scale each image to a given pixel mean and standard deviation, then clip to [0, 1].

    The preprocessing of Lee & Seung (1999), doi:10.1038/44565, for their faces: dark
    regions become exactly 0 and each image gets the same contrast, so NMF spends its
    parts on the features that differ, not on overall brightness. A constant image
    becomes all ``mean``.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
    mean, std : float, default=0.25

    Returns
    -------
    ndarray of the same shape, float64, in [0, 1]
    """
    images = np.asarray(images, dtype=np.float64)
    flat = images.reshape(len(images), -1)
    mu = flat.mean(axis=1, keepdims=True)
    sd = flat.std(axis=1, keepdims=True)
    z = np.divide(flat - mu, sd, out=np.zeros_like(flat), where=sd > 0)
    return np.clip(mean + std * z, 0.0, 1.0).reshape(images.shape)


def extract_patches(images, patch_size, max_patches=None, random_state=None):
    """Patches of every image of a stack, as rows (scikit-learn's ``extract_patches_2d``).

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
    patch_size : tuple (ph, pw)
    max_patches : int, optional
        Patches drawn at random per image (all of them by default).
    random_state : int or None

    Returns
    -------
    ndarray of shape (n_patches, ph * pw)
    """
    from sklearn.feature_extraction.image import extract_patches_2d

    images = _stack(images)
    rows = [
        extract_patches_2d(
            img, tuple(patch_size), max_patches=max_patches, random_state=random_state
        )
        for img in images
    ]
    patches = np.concatenate(rows)
    return patches.reshape(len(patches), -1)


def fit_images(images, n_components, patch_size=None, max_patches=None, **nmf_params):
    """NMF of an image stack (or of its patches); return the model and basis images.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
    n_components : int
    patch_size : tuple (ph, pw), optional
        Factorize patches of this size instead of whole images.
    max_patches : int, optional
        Patches per image (with ``patch_size``).
    **nmf_params
        Passed to :class:`nmfkit.NMF` (for example ``random_state``, ``solver``).

    Returns
    -------
    model : NMF
    basis : ndarray of shape (n_components, height, width) or (n_components, ph, pw)

    Raises
    ------
    ValueError
        Before any work, when ``n_components`` exceeds min(rows, pixels) of the matrix
        factorized (images or patches × pixels).
    """
    from ..estimators.nmf import NMF
    from .consensus import check_rank

    images = _stack(images)
    check_rank(
        "fit_images",
        n_components,
        _rows_and_pixels(images, patch_size, max_patches),
        "lower n_components",
    )
    if patch_size is None:
        X, shape = images.reshape(len(images), -1), images.shape[1:]
    else:
        X = extract_patches(images, patch_size, max_patches, nmf_params.get("random_state"))
        shape = tuple(patch_size)
    model = NMF(n_components, **nmf_params).fit(X)
    return model, model.components_.reshape((n_components, *shape))


def _rows_and_pixels(images, patch_size, max_patches):
    """The shape of the matrix ``fit_images`` factorizes, without building it."""
    n, h, w = images.shape
    if patch_size is None:
        return n, h * w
    ph, pw = (int(v) for v in patch_size)
    if ph > h or pw > w:
        raise ValueError(
            f"fit_images: patches of {ph} x {pw} pixels are larger than the {h} x {w} "
            "images; use a smaller patch_size (--patch)."
        )
    per_image = (h - ph + 1) * (w - pw + 1)
    if max_patches is not None:
        # scikit-learn: an int is a count, a float in (0, 1) a share of all patches
        per_image = min(per_image, int(max_patches * per_image) if max_patches < 1 else max_patches)
    return n * per_image, ph * pw


def _png_pixels(file):
    """Pixels × channels of an image, from its header alone; ValueError for one larger
    than Pillow's limit on pixels (``PIL.Image.MAX_IMAGE_PIXELS``, a decompression bomb
    guard) or one Pillow cannot read."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as im:
                (width, height), bands = im.size, len(im.getbands())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(
            f"{file}: more pixels than the {Image.MAX_IMAGE_PIXELS} Pillow reads safely "
            "(a decompression bomb guard); shrink the image."
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"{file}: not a readable PNG ({exc})") from None
    return width * height * bands


def read_images(path):
    """An image stack from an .npz/.npy file or a folder of same-size images.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` (an array of shape (n, h, w)); ``.npz`` (its array ``images``, else its
        only array; 2-D arrays of flattened images need ``images`` of 3-D shape); or a
        folder of PNG images (read by matplotlib; colour is averaged to grey).

    Returns
    -------
    ndarray of shape (n_images, height, width), float64
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        try:
            import matplotlib.image as mpimg
        except ImportError:
            raise ImportError(
                "reading a folder of images needs matplotlib; pip install 'nmfkit[plot]'."
            ) from None
        names = sorted(n for n in os.listdir(path) if n.lower().endswith(".png"))
        if not names:
            raise ValueError(f"{path}: no .png images in this folder.")
        files = [os.path.join(path, name) for name in names]
        pixels = sum(_png_pixels(file) for file in files)
        check_memory(pixels * 8 * 2, f"reading the {len(files)} images of {path}")
        stack = []
        for file in files:
            try:
                img = np.asarray(mpimg.imread(file), dtype=np.float64)
            except (OSError, SyntaxError, ValueError) as exc:  # PIL: SyntaxError for bad PNG
                raise ValueError(f"{file}: not a readable PNG ({exc})") from None
            stack.append(img[..., :3].mean(axis=-1) if img.ndim == 3 else img)
        shapes = {s.shape for s in stack}
        if len(shapes) > 1:
            raise ValueError(f"{path}: the images differ in size ({sorted(shapes)}); resize them.")
        return np.stack(stack)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.endswith(".npy"):
        check_npy(path)
        return _stack(np.load(path, allow_pickle=False))
    if path.endswith(".npz"):
        check_npz(path)
        with np.load(path, allow_pickle=False) as f:
            name = "images" if "images" in f.files else (f.files[0] if len(f.files) == 1 else None)
            if name is None:
                raise ValueError(f"{path} holds {f.files}; name the image stack 'images'.")
            return _stack(f[name])
    raise ValueError(f"unsupported image input {path}; use a folder of .png, .npy or .npz.")
