using Ferry.Server.FactoryResources;

namespace Ferry.Server.LinkedServices;

/// <summary>The linked service types Ferry runs, each with the check of its typeProperties (ADF's names).</summary>
public static class LinkedServiceTypes
{
    public const string PostgreSqlV2 = "PostgreSqlV2";
    public const string Sqlite = "Sqlite";
    public const string FileServer = "FileServer";
    public const string HttpServer = "HttpServer";
    public const string SecretStore = "SecretStore";

    public static readonly IReadOnlyDictionary<string, Action<PropertyRules>> Checks = new Dictionary<string, Action<PropertyRules>>(StringComparer.OrdinalIgnoreCase)
    {
        // ADF's PostgreSqlV2: server, port, database, username, password, sslMode, schema, or a connection string.
        [PostgreSqlV2] = p => p.RequireOneOf("server", "connectionString").String("server").Int("port").String("database").String("username")
            .StringOrNumber("sslMode").String("schema").String("connectionString").Secret("password").String("encryptedCredential"),
        // Ferry's own: a SQLite file on the node.
        [Sqlite] = p => p.RequiredString("path"),
        // ADF's FileServer: host is the root folder the linked service reaches, on the node.
        [FileServer] = p => p.RequiredString("host").String("userId").Secret("password").String("encryptedCredential"),
        // ADF's HttpServer: a base URL, anonymous or basic authentication.
        [HttpServer] = p => p.RequiredString("url").OneOf("authenticationType", "Anonymous", "Basic").String("userName")
            .Bool("enableServerCertificateValidation").Secret("password").String("encryptedCredential"),
        // Ferry's own: secrets a node reads itself, one file per secret in a folder on the node (container and systemd
        // secrets are mounted that way). HashiCorp Vault and Azure Key Vault providers come later.
        [SecretStore] = p => p.Require("provider").OneOf("provider", "Files").RequiredString("folder"),
    };

}
