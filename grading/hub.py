"""The one module that talks to the JupyterHub REST API.

Everything the site asks of the hub goes through here and comes back as plain values; callers
never build hub URLs or parse its JSON themselves.
"""

import httpx


class HubUnavailable(Exception):
    """The hub could not be reached or answered with an error."""


def hub_version(*, base_url: str, timeout: float) -> str:
    """The hub's version from its unauthenticated API root (``GET /hub/api/``)."""
    url = base_url.rstrip("/") + "/hub/api/"
    try:
        response = httpx.get(url, timeout=timeout)
        response.raise_for_status()
        return str(response.json().get("version", "unknown"))
    except (httpx.HTTPError, ValueError) as exc:
        raise HubUnavailable(f"{url}: {exc}") from exc
