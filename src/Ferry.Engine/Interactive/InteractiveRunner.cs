using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Connectors.FileServer;
using Ferry.Engine.Connectors.Http;
using Ferry.Engine.Connectors.Postgres;
using Ferry.Engine.Connectors.Sqlite;

namespace Ferry.Engine.Interactive;

/// <summary>
/// Runs one interactive request (test connection, browse, schema, preview) against the data store its linked service
/// names, on whichever host calls it: a node for a self-hosted runtime, the server for the managed one. Every failure
/// comes back as a response with a code and a message; nothing escapes as an exception.
/// </summary>
public static class InteractiveRunner
{
    public const int DefaultPreviewRows = 10;
    public const int MaxPreviewRows = 1000;

    public static async Task<InteractiveResponse> RunAsync(InteractiveRequest request, EngineContext context, CancellationToken ct)
    {
        try
        {
            var result = await DispatchAsync(request, context, ct);
            return new InteractiveResponse(request.Id, true, result);
        }
        catch (DataStoreException e)
        {
            return new InteractiveResponse(request.Id, false, ErrorCode: e.Code, Message: e.Message);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException
                                       or FormatException or ArgumentException or System.Text.Json.JsonException)
        {
            return new InteractiveResponse(request.Id, false, ErrorCode: ErrorCodes.DataStoreError, Message: e.Message);
        }
    }

    private static async Task<JsonNode> DispatchAsync(InteractiveRequest request, EngineContext context, CancellationToken ct)
    {
        var settings = LinkedServiceSettings.From(request.LinkedService, context, request.SecretStores);
        var rows = Math.Clamp(request.Rows <= 0 ? DefaultPreviewRows : request.Rows, 1, MaxPreviewRows);
        IInteractiveConnector? connector = settings.Type.ToUpperInvariant() switch
        {
            "POSTGRESQLV2" => new PostgresConnector(settings, context),
            "SQLITE" => new SqliteConnector(settings, context),
            "FILESERVER" => new FileServerConnector(settings, context),
            _ => null,
        };
        if (connector is not null)
        {
            return request.Operation switch
            {
                InteractiveOperation.TestConnection => Message(await connector.TestConnectionAsync(ct)),
                InteractiveOperation.Browse => await connector.BrowseAsync(request.Path, ct),
                InteractiveOperation.GetSchema => await connector.GetSchemaAsync(RequireDataset(request.Dataset), ct),
                InteractiveOperation.Preview => await connector.PreviewAsync(RequireDataset(request.Dataset), rows, ct),
                _ => throw Unknown(request.Operation),
            };
        }
        return settings.Type.ToUpperInvariant() switch
        {
            "HTTPSERVER" => request.Operation == InteractiveOperation.TestConnection
                ? Message(await new HttpConnector(settings, context).TestConnectionAsync(ct))
                : throw new DataStoreException(ErrorCodes.UnsupportedType, $"An HttpServer linked service supports test connection only, not {request.Operation}."),
            "SECRETSTORE" => request.Operation == InteractiveOperation.TestConnection
                ? Message(SecretStoreTest(request, context))
                : throw new DataStoreException(ErrorCodes.UnsupportedType, "A SecretStore supports test connection only; its secrets are never listed or shown."),
            _ => throw new DataStoreException(ErrorCodes.UnsupportedType, $"Linked service type '{settings.Type}' has no interactive operations."),
        };
    }

    private static JsonObject Message(string message) => new() { ["message"] = message };

    /// <summary>A secret store's test: its folder is reachable and readable under the node's policy; no secret is read or named.</summary>
    private static string SecretStoreTest(InteractiveRequest request, EngineContext context)
    {
        var folder = (request.LinkedService["typeProperties"] as JsonObject)?["folder"]?.GetValue<string>()
                     ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "The secret store has no typeProperties.folder.");
        var real = Access.LocalFolders.Resolve(context.Policy, folder, "");
        if (!Directory.Exists(real))
            throw new DataStoreException(ErrorCodes.PathNotFound, $"The secret store's folder '{real}' does not exist on {context.HostName}.");
        try
        {
            var count = Directory.EnumerateFiles(real).Count();
            return $"Secret store folder '{real}' on {context.HostName} is readable ({count} secret file(s)).";
        }
        catch (UnauthorizedAccessException)
        {
            throw new DataStoreException(ErrorCodes.PermissionDenied, $"permission denied: the node's service account cannot list '{real}'.");
        }
    }

    private static JsonObject RequireDataset(JsonObject? dataset) =>
        dataset ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "This operation needs a dataset.");

    private static DataStoreException Unknown(string operation) =>
        new(ErrorCodes.InvalidProperty, $"'{operation}' is not an interactive operation (testConnection, browse, getSchema, preview).");
}
