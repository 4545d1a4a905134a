"""Catalogers: turn files into packages, one module per ecosystem, run by one walk."""
