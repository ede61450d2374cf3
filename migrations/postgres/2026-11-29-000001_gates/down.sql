DROP TABLE gates;
