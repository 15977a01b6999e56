class ServiceError(Exception):
    """A business rule refused the action; the message is shown to the user as is."""

    def __init__(self, message: str, *, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class Conflict(ServiceError):
    """Someone else changed the object first (a conditional update matched no row)."""
