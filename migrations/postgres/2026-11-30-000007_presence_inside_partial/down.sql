DROP INDEX presence_inside;
CREATE INDEX presence_inside ON presence (inside, side);
