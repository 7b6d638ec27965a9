using System.Text.Json.Nodes;

namespace Ferry.Contracts.Protocol;

/// <summary>The interactive authoring operations a node runs for a user: the reference's test connection, browse, schema and preview.</summary>
public static class InteractiveOperation
{
    public const string TestConnection = "testConnection";
    public const string Browse = "browse";
    public const string GetSchema = "getSchema";
    public const string Preview = "preview";
}

/// <summary>
/// One interactive request, sent to a node over the relay (or its poll channel when self-contained interactive
/// authoring is on). LinkedService and Dataset are the resources' <c>properties</c>; secrets are only ever in the
/// linked service's <c>encryptedCredential</c>, which the node opens with its runtime's credential key, or in the
/// SecretStore linked services listed in SecretStores (name to properties), which the node reads itself.
/// </summary>
public sealed record InteractiveRequest(
    Guid Id,
    string Operation,
    JsonObject LinkedService,
    JsonObject? Dataset = null,
    string? Path = null,
    int Rows = 0,
    string? LinkedServiceName = null,
    JsonObject? SecretStores = null);

/// <summary>A node's answer: the result, or an error code (<see cref="Problems.ErrorCodes"/>) and a message that names what failed.</summary>
public sealed record InteractiveResponse(Guid Id, bool Succeeded, JsonNode? Result = null, string? ErrorCode = null, string? Message = null);
