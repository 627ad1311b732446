// Tests for TesseraStorage.
