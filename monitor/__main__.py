"""Entry point for `python -m monitor`."""

from monitor.cli import main

# Guarded: the extraction pool's forkserver workers re-import the main module.
if __name__ == "__main__":
    main()
