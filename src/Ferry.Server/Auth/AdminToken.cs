using System.Security.Cryptography;
using System.Text;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;

namespace Ferry.Server.Auth;

/// <summary>
/// The management API's bearer token. Created on first start as <c>DIR/admin-token</c>, readable only by its owner;
/// every call under /factories must present it.
/// </summary>
public sealed class AdminToken
{
    private readonly byte[] _hash;

    private AdminToken(string token, string path, bool created)
    {
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        Path = path;
        Created = created;
    }

    public string Path { get; }
    public bool Created { get; }

    public static AdminToken LoadOrCreate(string dataDir)
    {
        var path = System.IO.Path.Combine(dataDir, "admin-token");
        if (File.Exists(path))
            return new AdminToken(File.ReadAllText(path).Trim(), path, created: false);
        var token = "ferry_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        OwnerOnlyFile.WriteNew(path, token + "\n");
        return new AdminToken(token, path, created: true);
    }

    public bool Accepts(string presented) =>
        CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    /// <summary>Middleware guarding the management API.</summary>
    public RequestDelegate Guard(RequestDelegate next) => context =>
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
            throw FerryException.Unauthorized(ErrorCodes.TokenMissing,
                "This call needs the API token: send 'Authorization: Bearer <token>' (the ferry CLI takes --token or FERRY_TOKEN). " +
                "The server wrote its admin token to the file admin-token in its data dir.");
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || !Accepts(header["Bearer ".Length..].Trim()))
            throw FerryException.Unauthorized(ErrorCodes.TokenInvalid,
                "The API token is wrong. Use the token in the file admin-token in the server's data dir.");
        return next(context);
    };
}
