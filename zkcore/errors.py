"""Project errors. The CLI turns each into one line and an exit code, never a traceback."""

from __future__ import annotations


class ZkSolvencyError(Exception):
    """Base of every error the project raises on purpose."""

    exit_code = 1


class InputError(ZkSolvencyError):
    """Bad user input: names the file and the field (exit code 2)."""

    exit_code = 2

    def __init__(self, file: str, field: str | None, message: str) -> None:
        self.file = file
        self.field = field
        self.message = message
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {message}")


class CapacityError(ZkSolvencyError):
    """The portfolio or market does not fit the circuit that was built (exit code 2)."""

    exit_code = 2


class ToolError(ZkSolvencyError):
    """An external tool (snarkjs, circom, solc, anvil) failed; carries its stderr."""

    exit_code = 1
