using System.Net;

namespace Ferry.Node.Connection;

/// <summary>The server refused a call; <see cref="Code"/> is its stable error code and the message its explanation.</summary>
public sealed class ServerProblemException(HttpStatusCode status, string code, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;
}
