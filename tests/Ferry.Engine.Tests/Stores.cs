using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Tests;

/// <summary>The linked services and datasets the copy tests use, and a Copy activity run as a node runs it.</summary>
internal static class Stores
{
    public static JsonObject Postgres(NpgsqlConnectionStringBuilder admin, string database) => JsonNode.Parse(Support.Json(new
    {
        type = "PostgreSqlV2", typeProperties = new { server = admin.Host, port = admin.Port, database, username = "postgres", sslMode = "disable" },
    }))!.AsObject();

    public static JsonObject FileServer(string root) => JsonNode.Parse(Support.Json(new { type = "FileServer", typeProperties = new { host = root } }))!.AsObject();

    public static JsonObject PgTable(string table) =>
        JsonNode.Parse(Support.Json(new { type = "PostgreSqlV2Table", typeProperties = new { schema = "public", table } }))!.AsObject();

    /// <summary>Runs a Copy activity whose typeProperties are <c>source</c> and <c>sink</c> of the given settings plus <paramref name="extra"/>.</summary>
    public static Task<JsonObject> CopyAsync(EngineContext context, JsonObject sourceDataset, JsonObject sourceLinked, JsonObject sinkDataset, JsonObject sinkLinked,
        object? sink, object? extra, Guid? activityRunId, CancellationToken ct)
    {
        var typeProperties = JsonNode.Parse(Support.Json(new { source = new { type = "Source" }, sink = sink ?? new { type = "Sink" } }))!.AsObject();
        foreach (var (key, value) in extra is null ? [] : JsonNode.Parse(Support.Json(extra))!.AsObject().ToList())
            typeProperties[key] = value?.DeepClone();
        return CopyActivity.RunAsync(new JobPayload(Guid.NewGuid(), activityRunId ?? Guid.NewGuid(), "copy", "Copy",
                new JsonObject { ["name"] = "copy", ["typeProperties"] = typeProperties },
                sourceDataset, sourceLinked, sinkDataset, sinkLinked, null, "test-ir"),
            context, (_, _) => Task.CompletedTask, _ => Task.CompletedTask, ct);
    }
}
