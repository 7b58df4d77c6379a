#!/usr/bin/python3
# Writes ms-plot-viridis.h: matplotlib's viridis colour map (CC0, van der Walt & Smith) as a
# 256-entry 8-bit table. Run: /usr/bin/python3 core/plot/gen-viridis.py > core/plot/ms-plot-viridis.h
import numpy as np
from matplotlib import cm

rgb = np.round(cm.get_cmap("viridis")(np.linspace(0, 1, 256))[:, :3] * 255).astype(int)
print("/* matplotlib's viridis (CC0) as 256 8-bit RGB entries; written by gen-viridis.py. */")
print("#pragma once\n")
print("static const guint8 ms_viridis_table[256][3] = {")
for i in range(0, 256, 4):
    print("  " + " ".join("{ %3d, %3d, %3d }," % tuple(c) for c in rgb[i:i + 4]))
print("};")
