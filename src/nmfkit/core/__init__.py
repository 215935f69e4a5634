"""The core: the data a fit works on (plain or masked), losses, initialisation, solver
steps, the Plan, the Loop, parameter validation and file I/O. It imports only the
array layer."""
