// Tests for TesseraWire.
