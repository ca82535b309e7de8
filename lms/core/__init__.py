"""The site's plumbing: health checks, the Celery email backend and housekeeping tasks, rate
limits, security headers, the OpenID Connect provider for JupyterHub, the demo commands."""
