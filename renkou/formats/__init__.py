"""Date and number formats per interface language (``FORMAT_MODULE_PATH``), where
renkou's differ from Django's own: dates written out for people, 2026年12月2日 in
Chinese and 2 Dec 2026 in English. Data cells, files and form inputs keep ISO dates
(``Y-m-d``)."""
