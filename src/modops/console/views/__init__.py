"""Console views: parse, call one service (which checks permission), render."""
