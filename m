one
two
before
http://127.0.0.1:8000/hooks/6833494c85058f6281799cd5c9445db03abc3803
one
two
before
http://127.0.0.1:8000/hooks/a02e4b83c74b7c517509a41a2a5c2d6a620f63ba
