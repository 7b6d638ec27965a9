using System.Security.Cryptography;

namespace Ferry.Server.Store;

/// <summary>A resource's new etag on every write, quoted as HTTP and ADF write them.</summary>
public static class Etag
{
    public static string New() => "\"" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant() + "\"";
}
