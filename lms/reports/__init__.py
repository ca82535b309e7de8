"""Ministry reporting: yearly targets, the dashboard, statistics with small counts suppressed,
CSV/XLSX/JSON exports, the API and its tokens, synthetic populations. Counts, never people."""
