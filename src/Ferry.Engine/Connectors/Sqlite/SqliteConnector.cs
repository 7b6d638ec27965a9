using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;
using Microsoft.Data.Sqlite;

namespace Ferry.Engine.Connectors.Sqlite;

/// <summary>A SQLite file on the host, opened read-only for interactive requests; its folder is subject to local folder path validation.</summary>
public sealed class SqliteConnector(LinkedServiceSettings settings, EngineContext context) : IInteractiveConnector
{
    private string _path = "";

    public async Task<string> TestConnectionAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new SqliteCommand("SELECT count(*) FROM sqlite_master", connection);
        var objects = await Run(() => command.ExecuteScalarAsync(ct));
        return $"Opened SQLite database '{_path}' ({objects} schema objects).";
    }

    /// <summary>A SQLite file has one schema: its tables and views, whatever the path.</summary>
    public async Task<JsonObject> BrowseAsync(string? path, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new SqliteCommand(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", connection);
        await using var reader = await Run(() => command.ExecuteReaderAsync(ct));
        var items = new List<(string, string, long?)>();
        while (await reader.ReadAsync(ct))
            items.Add((reader.GetString(0), reader.GetString(1), null));
        return TabularResult.Browse("", items);
    }

    public async Task<JsonObject> GetSchemaAsync(JsonObject dataset, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return TabularResult.Schema(await ColumnsAsync(connection, TableOf(dataset), ct));
    }

    public async Task<JsonObject> PreviewAsync(JsonObject dataset, int rows, CancellationToken ct)
    {
        var table = TableOf(dataset);
        await using var connection = await OpenAsync(ct);
        var columns = await ColumnsAsync(connection, table, ct);
        await using var command = new SqliteCommand($"SELECT * FROM {Quote(table)} LIMIT {rows + 1}", connection);
        await using var reader = await Run(() => command.ExecuteReaderAsync(ct));
        var values = new List<IReadOnlyList<object?>>();
        while (await reader.ReadAsync(ct) && values.Count <= rows)
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            values.Add(row);
        }
        var truncated = values.Count > rows;
        return TabularResult.Preview(columns, truncated ? values.Take(rows) : values, truncated);
    }

    private static string TableOf(JsonObject dataset) =>
        (dataset["typeProperties"] as JsonObject)?["table"]?.GetValue<string>()
        ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "The dataset has no typeProperties.table; name the table to read.");

    private async Task<List<TabularResult.Column>> ColumnsAsync(SqliteConnection connection, string table, CancellationToken ct)
    {
        await using var command = new SqliteCommand($"PRAGMA table_info({Quote(table)})", connection);
        await using var reader = await Run(() => command.ExecuteReaderAsync(ct));
        var columns = new List<TabularResult.Column>();
        while (await reader.ReadAsync(ct))
            columns.Add(new(reader.GetString(1), reader.IsDBNull(2) || reader.GetString(2).Length == 0 ? "ANY" : reader.GetString(2), reader.GetInt64(3) == 0));
        return columns.Count > 0
            ? columns
            : throw new DataStoreException(ErrorCodes.TableNotFound, $"Table '{table}' does not exist in SQLite database '{_path}'.");
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var configured = settings.RequiredString("path");
        _path = LocalFolders.Resolve(context.Policy, Path.GetDirectoryName(configured) ?? configured, Path.GetFileName(configured));
        if (!File.Exists(_path))
            throw new DataStoreException(ErrorCodes.PathNotFound, $"The SQLite file '{_path}' does not exist on {context.HostName}.");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw Classify(e);
        }
    }

    private async Task<T> Run<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (SqliteException e)
        {
            throw Classify(e);
        }
    }

    private DataStoreException Classify(SqliteException e) => e.SqliteErrorCode switch
    {
        26 => new DataStoreException(ErrorCodes.InvalidData, $"'{_path}' is not a SQLite database (or it is encrypted).", e),
        3 or 23 => new DataStoreException(ErrorCodes.PermissionDenied, $"permission denied: the node's service account cannot read '{_path}'.", e),
        14 => new DataStoreException(ErrorCodes.PermissionDenied, $"cannot open '{_path}': {e.Message}", e),
        _ => new DataStoreException(ErrorCodes.DataStoreError, $"SQLite '{_path}': {e.Message}", e),
    };
}
