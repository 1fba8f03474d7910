"""History pages (§8): the run list, a run's detail panel, payload downloads, saved views."""
