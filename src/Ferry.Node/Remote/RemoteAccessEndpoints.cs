using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Node.Credentials;
using Ferry.Node.Heartbeats;
using Ferry.Node.Settings;

namespace Ferry.Node.Remote;

/// <summary>
/// What the node serves on its remote access port (TLS, off by default), and nothing else: encrypt-credential for an
/// operator on the local network who shows the node's remote access token (the analogue of the reference's
/// New-AzDataFactoryV2LinkedServiceEncryptedCredential, without the control plane), and the direct credential sync
/// path for nodes of the same runtime.
/// </summary>
public static class RemoteAccessEndpoints
{
    public const string EncryptCredentialPath = "/remote/v1/encrypt-credential";
    private const int MaxBodyBytes = 256 * 1024;

    public static void Map(WebApplication app)
    {
        app.MapPost(CredentialSync.DirectSyncPath, async (HttpContext context, IdentityWatch identities, CredentialSync sync) =>
        {
            if (identities.Current is not { } identity)
                return Problem(409, ErrorCodes.CredentialKeyMissing, "This node is not registered.");
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            if (buffer.Length > MaxBodyBytes)
                return Problem(413, ErrorCodes.BodyTooLarge, "A credential sync request is small.");
            var (status, message, response) = sync.AnswerDirect(identity, context.Request.Headers.Authorization.ToString(), buffer.ToArray());
            return response is null
                ? Problem(status, status == 401 ? ErrorCodes.SignatureInvalid : ErrorCodes.CredentialKeyMissing, message)
                : Results.Json(response, FerryJsonContext.Default.DirectSyncResponse);
        });

        app.MapPost(EncryptCredentialPath, async (HttpContext context, NodeSettingsStore settings, IdentityWatch identities, CredentialStore credentials) =>
        {
            if (settings.Load().RemoteAccess is not { } remote || !TokenMatches(context.Request.Headers.Authorization.ToString(), remote.TokenHash))
                return Problem(401, ErrorCodes.TokenInvalid, "This call needs the node's remote access token (Authorization: Bearer <token>), printed by dmgcmd -EnableRemoteAccess.");
            if (identities.Current is not { } identity)
                return Problem(409, ErrorCodes.CredentialKeyMissing, "This node is not registered, so it holds no credential key.");
            var material = credentials.Load();
            if (material is null || material.RuntimeId != identity.RuntimeId)
                return Problem(409, ErrorCodes.CredentialKeyMissing, $"Node '{identity.NodeName}' does not hold runtime '{identity.Runtime}''s credential key yet.");

            JsonObject? document;
            try
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                if (buffer.Length > MaxBodyBytes)
                    return Problem(413, ErrorCodes.BodyTooLarge, $"A linked service is at most {MaxBodyBytes} bytes.");
                document = JsonNode.Parse(buffer.ToArray()) as JsonObject;
            }
            catch (JsonException e)
            {
                return Problem(400, ErrorCodes.InvalidJson, $"The body is not valid JSON: {e.Message}");
            }
            if (document?["properties"]?["typeProperties"] is not JsonObject typeProperties)
                return Problem(400, ErrorCodes.InvalidProperty, "The body must be a linked service: {\"properties\": {\"type\": ..., \"typeProperties\": {...}}}.");
            var runtime = document["properties"]?["connectVia"]?["referenceName"]?.GetValue<string>();
            if (runtime is not null && !string.Equals(runtime, identity.Runtime, StringComparison.OrdinalIgnoreCase))
                return Problem(400, ErrorCodes.InvalidProperty,
                    $"The linked service connects via runtime '{runtime}', and this node belongs to '{identity.Runtime}'; ask a node of '{runtime}'.");
            var sealedNames = SecretSealer.Seal(typeProperties, Convert.FromBase64String(material.PublicKey), material.Version, material.RuntimeId);
            if (sealedNames.Count == 0)
                return Problem(400, ErrorCodes.InvalidProperty, "The linked service has no SecureString secret to encrypt (typeProperties.password).");
            return Results.Json(document, FerryJsonContext.Default.JsonObject);
        });
    }

    /// <summary>Remote access requests come only on the remote port, and the remote port serves only them.</summary>
    public static void Isolate(WebApplication app, int? remotePort) => app.Use(async (context, next) =>
    {
        var onRemotePort = remotePort is { } port && context.Connection.LocalPort == port;
        if (onRemotePort != context.Request.Path.StartsWithSegments("/remote"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await next(context);
    });

    public static string HashToken(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static bool TokenMatches(string authorization, string expectedHash) =>
        authorization.StartsWith("Bearer ", StringComparison.Ordinal)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(HashToken(authorization["Bearer ".Length..].Trim())), Encoding.ASCII.GetBytes(expectedHash));

    private static IResult Problem(int status, string code, string detail) =>
        Results.Json(new Contracts.Problems.Problem(code, code, status, detail), FerryJsonContext.Default.Problem, contentType: "application/problem+json", statusCode: status);
}
