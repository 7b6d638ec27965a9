namespace Ferry.Engine.Interactive;

/// <summary>
/// A failure with its cause named: <see cref="Code"/> is one of <see cref="Ferry.Contracts.Problems.ErrorCodes"/>
/// (name not resolved, connection refused, TLS, authentication, missing database or table, permission, path policy)
/// and the message says what failed and what to do. Messages never hold a secret.
/// </summary>
public sealed class DataStoreException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
