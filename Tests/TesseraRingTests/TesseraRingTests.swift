// Tests for TesseraRing.
