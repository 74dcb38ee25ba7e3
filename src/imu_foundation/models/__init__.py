"""Model families of imu-foundation, one folder each in the transformers layout."""
