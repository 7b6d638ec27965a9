using System.Net;
using System.Net.Sockets;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Npgsql;

namespace Ferry.Engine.Tests;

/// <summary>Against the real PostgreSQL that ./scripts/test starts: a user with a password, a table it may read and one it may not.</summary>
public sealed class PostgresConnectorTests : IAsyncLifetime
{
    private const string Password = "s3cret-Pa55word";
    private readonly string _database = "engine_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _user = "reader_" + Guid.NewGuid().ToString("N")[..8];
    private readonly NpgsqlConnectionStringBuilder _admin = Sql.Admin();
    private static readonly NodeAccessPolicy Local = NodeAccessPolicy.Default with { LocalMachineAccess = true };

    public async Task InitializeAsync()
    {
        await Sql.ExecAsync(_admin.ConnectionString, $"CREATE ROLE {_user} LOGIN PASSWORD '{Password}'", $"CREATE DATABASE {_database} OWNER postgres");
        var db = new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = _database }.ConnectionString;
        await Sql.ExecAsync(db,
            "CREATE SCHEMA sales",
            "CREATE TABLE sales.orders (id int PRIMARY KEY, item text NOT NULL, price numeric(8,2), placed timestamptz, tags text[])",
            "INSERT INTO sales.orders SELECT g, 'item ' || g, g * 1.5, '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 day', ARRAY['a'] FROM generate_series(1, 30) g",
            "CREATE TABLE sales.secrets (id int)",
            $"GRANT USAGE ON SCHEMA sales TO {_user}",
            $"GRANT SELECT ON sales.orders TO {_user}");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Sql.ExecAsync(_admin.ConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", $"DROP ROLE IF EXISTS {_user}");
    }


    private string LinkedService(string? password = Password, string? server = null, int? port = null, string? database = null, string sslMode = "disable") => Support.Json(new
    {
        type = "PostgreSqlV2",
        typeProperties = new
        {
            server = server ?? _admin.Host, port = port ?? _admin.Port, database = database ?? _database, username = _user, sslMode,
            password = password is null ? null : new { type = "SecureString", value = password },
        },
    });

    private static string Table(string table) => Support.Json(new { type = "PostgreSqlV2Table", typeProperties = new { schema = "sales", table } });

    [Fact]
    public async Task Test_connection_succeeds_with_the_right_password()
    {
        var response = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService());
        Assert.True(response.Succeeded, response.Message);
        Assert.Contains(_database, response.Result!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_an_authentication_failure_that_does_not_echo_the_password()
    {
        var response = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService("wrong-password"));
        Assert.Equal(ErrorCodes.AuthenticationFailed, response.ErrorCode);
        Assert.Contains(_user, response.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", response.Message, StringComparison.Ordinal);

        var none = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(password: null));
        Assert.Equal(ErrorCodes.AuthenticationFailed, none.ErrorCode);
    }

    [Fact]
    public async Task A_password_kept_in_a_secret_store_folder_on_the_node_is_read_there()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.Combine("pg-password"), Password + "\n");
        var policy = Local with { AllowedFolders = [folder.Path] };
        var stores = new System.Text.Json.Nodes.JsonObject
        {
            ["vault"] = System.Text.Json.Nodes.JsonNode.Parse(Support.Json(new { type = "SecretStore", typeProperties = new { provider = "Files", folder = folder.Path } })),
        };
        string UsingSecret(string secretName) => Support.Json(new
        {
            type = "PostgreSqlV2",
            typeProperties = new
            {
                server = _admin.Host, port = _admin.Port, database = _database, username = _user, sslMode = "disable",
                password = new { type = "SecretStoreSecret", store = new { referenceName = "vault", type = "LinkedServiceReference" }, secretName },
            },
        });
        Task<InteractiveResponse> Run(string linkedService, NodeAccessPolicy p) => Ferry.Engine.Interactive.InteractiveRunner.RunAsync(
            new InteractiveRequest(Guid.NewGuid(), InteractiveOperation.TestConnection, System.Text.Json.Nodes.JsonNode.Parse(linkedService)!.AsObject(),
                SecretStores: stores), Support.Context(p), CancellationToken.None);

        var ok = await Run(UsingSecret("pg-password"), policy);
        var missing = await Run(UsingSecret("nope"), policy);
        var notAllowed = await Run(UsingSecret("pg-password"), Local);

        Assert.True(ok.Succeeded, ok.Message);
        Assert.Equal(ErrorCodes.CredentialUnavailable, missing.ErrorCode);
        Assert.Contains("'nope'", missing.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.PathNotAllowed, notAllowed.ErrorCode);
    }

    [Fact]
    public async Task Localhost_is_refused_until_local_machine_access_is_enabled()
    {
        var response = await Support.RunAsync(NodeAccessPolicy.Default, InteractiveOperation.TestConnection, LinkedService(server: "localhost"));
        Assert.Equal(ErrorCodes.LocalMachineAccessDisabled, response.ErrorCode);
    }

    [Fact]
    public async Task Each_kind_of_failure_is_told_apart()
    {
        var database = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(database: "no_such_db"));
        Assert.Equal(ErrorCodes.DatabaseNotFound, database.ErrorCode);

        var refused = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(port: FreePort()));
        Assert.Equal(ErrorCodes.ConnectionRefused, refused.ErrorCode);

        var name = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(server: "no-such-host.invalid"));
        var tls = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(sslMode: "require"));
        Assert.True(tls.ErrorCode == ErrorCodes.TlsFailed, $"{tls.ErrorCode}: {tls.Message}");
        Assert.Equal(ErrorCodes.NameNotResolved, name.ErrorCode);

        var table = await Support.RunAsync(Local, InteractiveOperation.GetSchema, LinkedService(), Table("missing"));
        Assert.Equal(ErrorCodes.TableNotFound, table.ErrorCode);

        var forbidden = await Support.RunAsync(Local, InteractiveOperation.Preview, LinkedService(), Table("secrets"));
        Assert.Equal(ErrorCodes.PermissionDenied, forbidden.ErrorCode);
        Assert.Contains("secrets", forbidden.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browse_schema_and_preview()
    {
        var schemas = await Support.RunAsync(Local, InteractiveOperation.Browse, LinkedService());
        Assert.Contains("sales", schemas.Result!["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));

        var tables = await Support.RunAsync(Local, InteractiveOperation.Browse, LinkedService(), path: "sales");
        Assert.Contains("orders", tables.Result!["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));

        var schema = await Support.RunAsync(Local, InteractiveOperation.GetSchema, LinkedService(), Table("orders"));
        var columns = schema.Result!["columns"]!.AsArray();
        Assert.Equal(["id", "item", "price", "placed", "tags"], columns.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("numeric", columns[2]!["type"]!.GetValue<string>());
        Assert.False(columns[0]!["nullable"]!.GetValue<bool>());

        var preview = await Support.RunAsync(Local, InteractiveOperation.Preview, LinkedService(), Table("orders"), rows: 5);
        Assert.True(preview.Succeeded, preview.Message);
        var rows = preview.Result!["rows"]!.AsArray();
        Assert.Equal(5, rows.Count);
        Assert.True(preview.Result["truncated"]!.GetValue<bool>());
        Assert.Equal("item 1", rows[0]![1]!.GetValue<string>());
        Assert.Equal(1.5m, rows[0]![2]!.GetValue<decimal>());
        Assert.Equal("a", rows[0]![4]![0]!.GetValue<string>());
        Assert.StartsWith("2026-01-02T00:00:00", rows[0]![3]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
