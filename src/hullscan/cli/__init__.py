"""The command line: parse options, call the façade, render, map errors to exit codes."""
