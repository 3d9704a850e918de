"""Horizontal vs vertical learned affinities and superpixel elongation (n=200), 4 train images."""
import numpy as np, torch
torch.set_num_threads(1)
from sealseg import ers
from sealseg import learn_affinities
from sealseg.datasets import load_bsds500
from scipy import ndimage as ndi
ds = load_bsds500(split="train")
for i in (0, 30, 60, 90):
    img = ds[i].image
    la = learn_affinities(img)
    h, v = la[0][:, :-1], la[1][:-1]
    print(ds[i].name, "mean h %.3f v %.3f  median h %.3f v %.3f  frac h==v-neighbour ties %.3f" % (h.mean(), v.mean(), np.median(h), np.median(v),
          np.mean(la[0][:-1, :-1] == la[0][1:, :-1])))
    for name, lab in (("seal", ers(img, 200, affinities=la)), ("ers", ers(img, 200))):
        sl = ndi.find_objects(lab)
        ar = [ (s[1].stop - s[1].start) / (s[0].stop - s[0].start) for s in sl if s is not None]
        ar = np.log2(ar)
        print("  %s log2 aspect (w/h): mean %.2f, |.|>2 frac %.2f" % (name, np.mean(ar), np.mean(np.abs(ar) > 2)))
