"""The pure domain: rules and entities, no I/O and no AWS."""
