// Tests for TesseraCluster.
