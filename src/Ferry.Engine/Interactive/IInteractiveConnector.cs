using System.Text.Json.Nodes;

namespace Ferry.Engine.Interactive;

/// <summary>What a data store offers interactive authoring: test the connection, browse, read a dataset's schema, preview its rows.</summary>
public interface IInteractiveConnector
{
    Task<string> TestConnectionAsync(CancellationToken ct);

    /// <summary>Folders and files, or schemas and tables, under <paramref name="path"/> (the root when null).</summary>
    Task<JsonObject> BrowseAsync(string? path, CancellationToken ct);

    Task<JsonObject> GetSchemaAsync(JsonObject dataset, CancellationToken ct);

    Task<JsonObject> PreviewAsync(JsonObject dataset, int rows, CancellationToken ct);
}
