"""
Hyperspectral unmixing
======================

Each pixel of a hyperspectral image is a spectrum: the mixture of a few materials'
spectra (endmembers), weighted by their abundances, which sum to one, times the pixel's
shading. ``Unmixing`` finds both: pixels normalised, abundances on the simplex, and a
minimum-volume penalty that pulls the endmembers onto the pure materials (Fu et al.
2016). The scene here is generated: three smooth spectra over 60 bands, mixed over a
40 × 40 image by smooth abundance maps, with shading and noise; the reference is drawn
below the fit. :doc:`/unmixing` has the same on the Samson scene.
"""

import numpy as np

from nmfkit import Unmixing
from nmfkit.metrics import match_spectra
from nmfkit.plot import unmixing

rng = np.random.default_rng(0)
bands = np.linspace(400, 1000, 60)  # wavelengths (nm)
spectra = np.array(
    [
        0.2 + 0.6 * np.exp(-(((bands - 550) / 60) ** 2)),  # "vegetation"-like bump
        0.1 + 0.8 * (bands - 400) / 600,  # rising "soil"
        0.7 * np.exp(-(bands - 400) / 200) + 0.05,  # "water": falls off
    ]
)
rows, cols = np.mgrid[0:40, 0:40] / 39.0
centres = [(0.2, 0.2), (0.8, 0.3), (0.4, 0.85)]
logits = np.array([-((rows - r) ** 2 + (cols - c) ** 2) / 0.15 for r, c in centres])
maps = np.exp(logits) / np.exp(logits).sum(axis=0)  # (3, 40, 40), summing to one
shading = 0.8 + 0.4 * rng.random((40, 40))
cube = shading[..., None] * np.einsum("kij,kb->ijb", maps, spectra)
cube += rng.normal(0, 0.005, cube.shape)
pixels = np.clip(cube.reshape(-1, bands.size), 0, None)  # pixels x bands

model = Unmixing(3, image_shape=(40, 40), random_state=0)
abundances = model.fit_transform(pixels)
found, ref, angles = match_spectra(model.components_, spectra)
print("spectral angle of each endmember to its reference (rad):", angles.round(3))
order = np.argsort(found)  # the reference in the model's component order
rmse = np.sqrt(np.mean((abundances[:, found] - maps.reshape(3, -1).T[:, ref]) ** 2))
print(f"abundance RMSE {rmse:.3f}")

fig, axes = unmixing(model, wavelengths=bands, reference=(maps[ref][order], spectra[ref][order]))
