"""Settings of bench/deadline_rush.py: the production settings (every value from the
environment the benchmark sets), with the site's URLs plus one trivial view
(``bench/rush_urls.py``), the baseline that page throughput is compared with."""

from lms.settings import *  # noqa: F403

ROOT_URLCONF = "bench.rush_urls"
