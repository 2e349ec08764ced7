"""UAL (Zhang et al., CVPR 2020): unsupervised adaptation learning on a pretrained fusion module."""
