"""History pages: the run list, a run's detail panel, payload downloads, saved views."""
