"""Agency plans: the import/export template, progress and coverage rules, read
models, demo data and the weekly report. Pure rules live in `progress` and `coverage`."""
