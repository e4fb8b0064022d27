"""appconnect-harness: App Connect's call-logging core as a local harness."""

__version__ = "0.1.0"
