"""The composition root: settings → storage → service, wired once per process."""
