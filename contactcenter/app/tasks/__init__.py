"""RQ jobs, one module per domain they drive; each declared with `contactcenter.app.jobs.job`."""
