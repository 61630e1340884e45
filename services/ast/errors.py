"""Errors of the transcription service. Each carries a stable ``code`` that command replies can pass on.

    AstError (SuiteError)
    ├── InvalidJobConfig      audio_config / model_config is malformed            code "invalid"
    ├── JobConflict           a job already runs for that session                 code "conflict"
    ├── JobLimitReached       the cap on concurrent jobs is reached               code "conflict"
    ├── JobNotFound           no job for that session                             code "not_found"
    ├── EngineUnavailable     the engine's optional package is not installed      code "unavailable"
    ├── ModelError
    │   ├── ModelMissing      the model files are not where they should be        code "unavailable"
    │   └── ModelInvalid      checksum mismatch, or the model crashes its loader  code "failed"
    ├── SourceError
    │   ├── SourceUnreadable  a file that does not exist or cannot be decoded     code "failed" (fatal)
    │   └── SourceFailed      a live source that stayed down past the policy      code "failed"
    └── TranscriptionFailed   the engine kept failing on a job                    code "failed"

User-facing messages are Chinese with the English meaning in parentheses, as elsewhere in the suite.
"""

from __future__ import annotations

from shared.errors import SuiteError

__all__ = [
    "AstError",
    "EngineUnavailable",
    "InvalidJobConfig",
    "JobConflict",
    "JobLimitReached",
    "JobNotFound",
    "ModelError",
    "ModelInvalid",
    "ModelMissing",
    "SourceError",
    "SourceFailed",
    "SourceUnreadable",
    "TranscriptionFailed",
]


class AstError(SuiteError):
    code = "failed"


class InvalidJobConfig(AstError, ValueError):
    code = "invalid"


class JobConflict(AstError):
    code = "conflict"


class JobLimitReached(AstError):
    code = "conflict"


class JobNotFound(AstError, LookupError):
    code = "not_found"


class EngineUnavailable(AstError):
    code = "unavailable"


class ModelError(AstError):
    pass


class ModelMissing(ModelError):
    code = "unavailable"


class ModelInvalid(ModelError):
    code = "failed"


class SourceError(AstError):
    pass


class SourceUnreadable(SourceError):
    pass


class SourceFailed(SourceError):
    pass


class TranscriptionFailed(AstError):
    pass
