// Tests for TesseraNode.
