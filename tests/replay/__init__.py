"""The loopback replay server used by the tests, `make demo` and `make bench`."""
