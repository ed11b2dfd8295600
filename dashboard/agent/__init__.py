"""The remote agent: `python app.py agent --server URL`, a collector placed in another network
(docs/agents.md). It checks the endpoints its token's vantage is assigned with the same probes
and engine as the central collector, keeps every result in a local SQLite buffer until the
server acknowledged it, and sends them in signed batches. It never touches the database."""
