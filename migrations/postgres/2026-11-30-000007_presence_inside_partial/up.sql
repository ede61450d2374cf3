-- Who is inside now. The index holds only the holders inside (keyed by side), not every permit
-- ever issued: a scan that moves a holder in or out adds or removes one entry, where the index on
-- (inside, side) moved it between two places (two pages to write, the outside part huge).
DROP INDEX presence_inside;
CREATE INDEX presence_inside ON presence (side) WHERE inside;
