"""`python -m appconnect` always reaches this tool, even when npm's `appconnect` is on PATH."""

from appconnect.cli import main

if __name__ == "__main__":
    main()
