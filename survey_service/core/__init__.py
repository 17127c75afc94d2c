"""The small core every feature stands on: the application factory, configuration, the
database and its models, the audit log, languages, errors, compression, the JSON API's
shared parts, the command group, and the SVG primitives of the charts."""
