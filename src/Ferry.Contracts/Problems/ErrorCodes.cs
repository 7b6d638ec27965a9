namespace Ferry.Contracts.Problems;

/// <summary>The stable error codes of the API; clients may switch on them.</summary>
public static class ErrorCodes
{
    public const string TokenMissing = "TokenMissing";
    public const string TokenInvalid = "TokenInvalid";
    public const string InvalidJson = "InvalidJson";
    public const string InvalidProperty = "InvalidProperty";
    public const string InvalidName = "InvalidName";
    public const string BodyTooLarge = "BodyTooLarge";
    public const string FactoryNotFound = "FactoryNotFound";
    public const string RuntimeNotFound = "RuntimeNotFound";
    public const string RuntimeDeleted = "RuntimeDeleted";
    public const string NodeNotFound = "NodeNotFound";
    public const string NodeRemoved = "NodeRemoved";
    public const string NodeVersionUnsupported = "NodeVersionUnsupported";
    public const string UnsupportedRuntimeType = "UnsupportedRuntimeType";
    public const string RuntimeTypeChange = "RuntimeTypeChange";
    public const string NotSelfHosted = "NotSelfHosted";
    public const string InvalidKeyName = "InvalidKeyName";
    public const string KeyMalformed = "KeyMalformed";
    public const string KeyTruncated = "KeyTruncated";
    public const string KeyGarbled = "KeyGarbled";
    public const string KeyRegenerated = "KeyRegenerated";
    public const string KeyInvalid = "KeyInvalid";
    public const string NodeLimitReached = "NodeLimitReached";
    public const string DuplicateNodeName = "DuplicateNodeName";
    public const string SignatureMissing = "SignatureMissing";
    public const string SignatureInvalid = "SignatureInvalid";
    public const string SignatureReplayed = "SignatureReplayed";
    public const string ClockSkew = "ClockSkew";
    public const string NotFound = "NotFound";
    public const string MethodNotAllowed = "MethodNotAllowed";
    public const string ConcurrentJobsLimitOutOfRange = "ConcurrentJobsLimitOutOfRange";
    public const string InternalError = "InternalError";
    public const string UnsupportedType = "UnsupportedType";
    public const string ReferenceNotFound = "ReferenceNotFound";
    public const string ReferenceTypeMismatch = "ReferenceTypeMismatch";
    public const string ResourceNotFound = "ResourceNotFound";
    public const string ResourceInUse = "ResourceInUse";
    public const string SecretsNotSupportedYet = "SecretsNotSupportedYet";
    public const string CredentialKeyMissing = "CredentialKeyMissing";

    // Interactive authoring: where the request could not go, and what the data store said. Each has its own fix.
    public const string NoNodeAvailable = "NoNodeAvailable";
    public const string InteractiveTimeout = "InteractiveTimeout";
    public const string CredentialUnavailable = "CredentialUnavailable";
    public const string NameNotResolved = "NameNotResolved";
    public const string ConnectionRefused = "ConnectionRefused";
    public const string ConnectionFailed = "ConnectionFailed";
    public const string TlsFailed = "TlsFailed";
    public const string AuthenticationFailed = "AuthenticationFailed";
    public const string DatabaseNotFound = "DatabaseNotFound";
    public const string TableNotFound = "TableNotFound";
    public const string PathNotFound = "PathNotFound";
    public const string PermissionDenied = "PermissionDenied";
    public const string PathNotAllowed = "PathNotAllowed";
    public const string DiskFull = "DiskFull";
    public const string LocalMachineAccessDisabled = "LocalMachineAccessDisabled";
    public const string InvalidData = "InvalidData";
    public const string DataStoreError = "DataStoreError";

    // Pipelines, runs and jobs.
    public const string RunNotFound = "RunNotFound";
    public const string InvalidParameters = "InvalidParameters";
    public const string RuntimeConflict = "RuntimeConflict";
    public const string LeaseLost = "LeaseLost";
    public const string ActivityTimeout = "ActivityTimeout";
    public const string JobNotFound = "JobNotFound";
}
