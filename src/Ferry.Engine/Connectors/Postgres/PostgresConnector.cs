using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;
using Npgsql;

namespace Ferry.Engine.Connectors.Postgres;

/// <summary>
/// ADF's PostgreSqlV2 linked service, interactively: connect, list schemas and tables, read a table's columns, preview
/// rows. Each failure is told apart (name, refused, TLS, authentication, database, table, permission).
/// </summary>
public sealed class PostgresConnector(LinkedServiceSettings settings, EngineContext context) : IInteractiveConnector
{
    private string _endpoint = "";

    public async Task<string> TestConnectionAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return $"Connected to PostgreSQL {connection.PostgreSqlVersion} at {_endpoint}, database '{connection.Database}' as '{connection.UserName}'.";
    }

    public async Task<JsonObject> BrowseAsync(string? schema, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var items = new List<(string, string, long?)>();
        if (string.IsNullOrEmpty(schema))
        {
            await using var command = new NpgsqlCommand(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('pg_catalog', 'information_schema') " +
                "AND schema_name NOT LIKE 'pg\\_toast%' AND schema_name NOT LIKE 'pg\\_temp%' ORDER BY schema_name", connection);
            await using var reader = await Run(() => command.ExecuteReaderAsync(ct));
            while (await reader.ReadAsync(ct))
                items.Add((reader.GetString(0), "schema", null));
            return TabularResult.Browse("", items);
        }

        await using (var command = new NpgsqlCommand(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = @schema ORDER BY table_name", connection))
        {
            command.Parameters.AddWithValue("schema", schema);
            await using var reader = await Run(() => command.ExecuteReaderAsync(ct));
            while (await reader.ReadAsync(ct))
                items.Add((reader.GetString(0), reader.GetString(1) == "VIEW" ? "view" : "table", null));
        }
        if (items.Count == 0 && !await SchemaExistsAsync(connection, schema, ct))
            throw new DataStoreException(ErrorCodes.TableNotFound, $"Schema '{schema}' does not exist in database '{connection.Database}' at {_endpoint}.");
        return TabularResult.Browse(schema, items);
    }

    public async Task<JsonObject> GetSchemaAsync(JsonObject dataset, CancellationToken ct)
    {
        var (schema, table) = TableOf(dataset);
        await using var connection = await OpenAsync(ct);
        var columns = await ColumnsAsync(connection, schema, table, ct);
        return TabularResult.Schema(columns);
    }

    public async Task<JsonObject> PreviewAsync(JsonObject dataset, int rows, CancellationToken ct)
    {
        var (schema, table) = TableOf(dataset);
        await using var connection = await OpenAsync(ct);
        var columns = await ColumnsAsync(connection, schema, table, ct);
        await using var command = new NpgsqlCommand($"SELECT * FROM {Quote(schema)}.{Quote(table)} LIMIT {rows + 1}", connection);
        await using var reader = await Run(() => command.ExecuteReaderAsync(ct));
        var values = new List<IReadOnlyList<object?>>();
        while (await reader.ReadAsync(ct) && values.Count <= rows)
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = ReadValue(reader, i);
            values.Add(row);
        }
        var truncated = values.Count > rows;
        return TabularResult.Preview(columns, truncated ? values.Take(rows) : values, truncated);
    }

    private static object? ReadValue(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
            return null;
        try
        {
            return reader.GetValue(ordinal);
        }
        catch (Exception e) when (e is InvalidCastException or NotSupportedException)
        {
            return reader.GetFieldValue<string>(ordinal);
        }
    }

    private (string Schema, string Table) TableOf(JsonObject dataset)
    {
        var properties = dataset["typeProperties"] as JsonObject ?? [];
        var table = properties["table"]?.GetValue<string>() ?? properties["tableName"]?.GetValue<string>()
            ?? throw new DataStoreException(ErrorCodes.InvalidProperty, "The dataset has no typeProperties.table; name the table to read.");
        var schema = properties["schema"]?.GetValue<string>() ?? settings.String("schema") ?? "public";
        return (schema, table);
    }

    private async Task<List<TabularResult.Column>> ColumnsAsync(NpgsqlConnection connection, string schema, string table, CancellationToken ct)
    {
        var columns = new List<TabularResult.Column>();
        await using (var command = new NpgsqlCommand(
            "SELECT column_name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name WHEN data_type = 'ARRAY' THEN udt_name ELSE data_type END, " +
            "is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = @schema AND table_name = @table ORDER BY ordinal_position", connection))
        {
            command.Parameters.AddWithValue("schema", schema);
            command.Parameters.AddWithValue("table", table);
            await using var reader = await Run(() => command.ExecuteReaderAsync(ct));
            while (await reader.ReadAsync(ct))
                columns.Add(new(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
        }
        if (columns.Count > 0)
            return columns;
        // information_schema hides what the user may not read: tell a missing table from a forbidden one.
        await using (var exists = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection))
        {
            exists.Parameters.AddWithValue("name", $"{Quote(schema)}.{Quote(table)}");
            if ((bool)(await Run(() => exists.ExecuteScalarAsync(ct)))!)
                throw new DataStoreException(ErrorCodes.PermissionDenied,
                    $"permission denied: user '{connection.UserName}' may not read table {schema}.{table} in database '{connection.Database}'. GRANT SELECT on it.");
        }
        throw new DataStoreException(ErrorCodes.TableNotFound, $"Table {schema}.{table} does not exist in database '{connection.Database}' at {_endpoint}.");
    }

    private async Task<bool> SchemaExistsAsync(NpgsqlConnection connection, string schema, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @schema)", connection);
        command.Parameters.AddWithValue("schema", schema);
        return (bool)(await Run(() => command.ExecuteScalarAsync(ct)))!;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Where the last connection went (host:port), for messages.</summary>
    internal string Endpoint => _endpoint;

    internal DataStoreException Classify(Exception e) => ClassifyAt(e, null, _endpoint);

    internal async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var builder = Build();
        var hosts = (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (hosts.Length == 0)
            throw new DataStoreException(ErrorCodes.InvalidProperty, "The linked service names no server; set typeProperties.server.");
        _endpoint = $"{string.Join(',', hosts)}:{builder.Port}";
        var verifyName = builder.SslMode == SslMode.VerifyFull;
        var resolved = new List<string>();
        foreach (var host in hosts)
        {
            if (host.StartsWith('/'))
                throw new DataStoreException(ErrorCodes.LocalMachineAccessDisabled, $"'{host}' is a Unix socket on this machine; connect over TCP instead.");
            var addresses = await LocalMachineGuard.ResolveAsync(context.Policy, host, ct);
            // Connect to the address that was checked; keep the name only where TLS must verify it against the certificate.
            resolved.Add(verifyName ? host : addresses[0].ToString());
        }
        builder.Host = string.Join(',', resolved);

        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            await connection.DisposeAsync();
            throw Classify(e, builder);
        }
    }

    private NpgsqlConnectionStringBuilder Build()
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(settings.String("connectionString") ?? "");
        }
        catch (ArgumentException e)
        {
            throw new DataStoreException(ErrorCodes.InvalidProperty, $"typeProperties.connectionString is not a PostgreSQL connection string: {e.Message}");
        }
        if (settings.String("server") is { Length: > 0 } server)
            builder.Host = server;
        if (settings.Int("port") is { } port)
            builder.Port = port;
        if (settings.String("database") is { Length: > 0 } database)
            builder.Database = database;
        if (settings.String("username") is { Length: > 0 } user)
            builder.Username = user;
        if (settings.String("sslMode") is { Length: > 0 } sslMode)
            builder.SslMode = ParseSslMode(sslMode);
        if (settings.Secret("password") is { } password)
            builder.Password = password;
        builder.Timeout = 15;
        builder.CommandTimeout = 30;
        builder.Pooling = false;
        builder.ApplicationName = "ferry";
        return builder;
    }

    /// <summary>ADF writes sslMode as a number (0 disable .. 5 verify-full) or a name; both are taken.</summary>
    private static SslMode ParseSslMode(string value) => value.ToUpperInvariant().Replace("-", "", StringComparison.Ordinal) switch
    {
        "0" or "DISABLE" => SslMode.Disable,
        "1" or "ALLOW" => SslMode.Allow,
        "2" or "PREFER" => SslMode.Prefer,
        "3" or "REQUIRE" => SslMode.Require,
        "4" or "VERIFYCA" => SslMode.VerifyCA,
        "5" or "VERIFYFULL" => SslMode.VerifyFull,
        _ => throw new DataStoreException(ErrorCodes.InvalidProperty,
            $"typeProperties.sslMode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full (or 0..5)."),
    };

    private async Task<T> Run<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (PostgresException e)
        {
            throw Classify(e, null);
        }
    }

    private DataStoreException Classify(Exception e, NpgsqlConnectionStringBuilder? builder) => ClassifyAt(e, builder, _endpoint);

    /// <summary>The schema and table a PostgreSqlV2Table dataset names (the linked service's schema, else public).</summary>
    internal (string Schema, string Table) TableOfDataset(JsonObject dataset) => TableOf(dataset);

    internal static string QuoteIdentifier(string identifier) => Quote(identifier);

    internal static DataStoreException ClassifyAt(Exception e, NpgsqlConnectionStringBuilder? builder, string endpoint)
    {
        var user = builder?.Username ?? "?";
        var database = builder?.Database ?? "?";
        if (e is PostgresException pg)
        {
            return pg.SqlState switch
            {
                "28P01" or "28000" => new DataStoreException(ErrorCodes.AuthenticationFailed,
                    $"authentication rejected: PostgreSQL at {endpoint} refused user '{user}' ({pg.MessageText}). Check the user name and password.", e),
                "3D000" => new DataStoreException(ErrorCodes.DatabaseNotFound, $"Database '{database}' does not exist at {endpoint} ({pg.MessageText}).", e),
                "42P01" or "3F000" => new DataStoreException(ErrorCodes.TableNotFound, $"{pg.MessageText} (PostgreSQL at {endpoint}).", e),
                "42501" => new DataStoreException(ErrorCodes.PermissionDenied, $"permission denied: {pg.MessageText} (PostgreSQL at {endpoint}).", e),
                _ => new DataStoreException(ErrorCodes.DataStoreError, $"PostgreSQL at {endpoint} answered {pg.SqlState}: {pg.MessageText}", e),
            };
        }
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => new DataStoreException(ErrorCodes.ConnectionRefused,
                        $"connection refused: nothing accepts connections at {endpoint}. Is PostgreSQL running and listening there (listen_addresses, port)?", e),
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => new DataStoreException(ErrorCodes.NameNotResolved,
                        $"name not resolved: {endpoint} ({socket.SocketErrorCode}).", e),
                    _ => new DataStoreException(ErrorCodes.ConnectionFailed, $"cannot connect to {endpoint}: {socket.SocketErrorCode} ({socket.Message}).", e),
                };
            }
            if (inner is AuthenticationException tls)
                return new DataStoreException(ErrorCodes.TlsFailed, $"TLS failure with {endpoint}: {tls.Message} Check sslMode and the server's certificate.", e);
        }
        if (e.Message.Contains("SSL", StringComparison.Ordinal))
            return new DataStoreException(ErrorCodes.TlsFailed,
                $"TLS failure with {endpoint}: {e.Message} The server does not offer TLS to this node: turn ssl on in PostgreSQL, or lower sslMode.", e);
        if (e.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
            return new DataStoreException(ErrorCodes.AuthenticationFailed,
                $"authentication rejected: PostgreSQL at {endpoint} wants a password for user '{user}' and the linked service gives none.", e);
        if (e is TimeoutException || e.InnerException is TimeoutException)
            return new DataStoreException(ErrorCodes.ConnectionFailed, $"cannot connect to {endpoint}: no answer within 15 s (a firewall dropping packets?).", e);
        return new DataStoreException(ErrorCodes.ConnectionFailed, $"cannot connect to {endpoint}: {e.Message}", e);
    }
}
