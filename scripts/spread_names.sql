-- For the search benchmark (scripts/bench_dashboard): examples/fill_log.rs names every traveler
-- TRAVELER, born 1985-06-15, which no real search meets. This spreads the permits over 17,576
-- three-letter surname beginnings (`XYZ` + `OVA`/`OV`/`ENKO`/`BEK`) and 20,000 birth dates, as a
-- zone's travelers would be, without touching what the dashboard counts.
--   sqlite3 target/bench-log/borderpass.db < scripts/spread_names.sql
UPDATE permits SET
    surname = char(65 + (rowid * 7919) % 26) || char(65 + (rowid * 104729 / 26) % 26)
        || char(65 + (rowid * 1299709 / 676) % 26)
        || (CASE rowid % 4 WHEN 0 THEN 'OVA' WHEN 1 THEN 'OV' WHEN 2 THEN 'ENKO' ELSE 'BEK' END),
    birth_date = date('1950-01-01', '+' || ((rowid * 15485863) % 20000) || ' days');
