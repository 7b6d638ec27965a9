using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Contracts.Protocol;

/// <summary>
/// The signature a registered node puts on every call: ECDSA P-256 over the method, path, timestamp,
/// a one-time nonce and the body's SHA-256, sent as
/// <c>Authorization: FerryNode id=..., ts=..., nonce=..., sig=...</c>.
/// </summary>
public sealed record NodeRequestSignature(Guid NodeId, long TimestampMs, string Nonce, byte[] Signature)
{
    public static byte[] Canonical(string method, string pathAndQuery, long timestampMs, string nonce, ReadOnlySpan<byte> body)
    {
        var bodyHash = Convert.ToBase64String(SHA256.HashData(body));
        return Encoding.UTF8.GetBytes(string.Join('\n',
            method.ToUpperInvariant(), pathAndQuery, timestampMs.ToString(CultureInfo.InvariantCulture), nonce, bodyHash));
    }

    public static NodeRequestSignature Sign(ECDsa key, Guid nodeId, string method, string pathAndQuery, DateTimeOffset now, ReadOnlySpan<byte> body)
    {
        var ts = now.ToUnixTimeMilliseconds();
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var sig = key.SignData(Canonical(method, pathAndQuery, ts, nonce, body), HashAlgorithmName.SHA256);
        return new NodeRequestSignature(nodeId, ts, nonce, sig);
    }

    public bool Verify(ECDsa publicKey, string method, string pathAndQuery, ReadOnlySpan<byte> body) =>
        publicKey.VerifyData(Canonical(method, pathAndQuery, TimestampMs, Nonce, body), Signature, HashAlgorithmName.SHA256);

    public string ToHeaderValue() =>
        $"{NodeProtocol.AuthorizationScheme} id={NodeId:D}, ts={TimestampMs.ToString(CultureInfo.InvariantCulture)}, nonce={Nonce}, sig={Convert.ToBase64String(Signature)}";

    /// <summary>Reads the header value; null when it is not a well-formed node signature.</summary>
    public static NodeRequestSignature? TryParse(string? header)
    {
        if (header is null || !header.StartsWith(NodeProtocol.AuthorizationScheme + " ", StringComparison.Ordinal))
            return null;
        Guid? id = null;
        long? ts = null;
        string? nonce = null;
        byte[]? sig = null;
        foreach (var part in header[(NodeProtocol.AuthorizationScheme.Length + 1)..].Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) return null;
            var value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "id" when Guid.TryParse(value, out var g): id = g; break;
                case "ts" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t): ts = t; break;
                case "nonce" when value.Length is > 0 and <= 64: nonce = value; break;
                case "sig":
                    try { sig = Convert.FromBase64String(value); } catch (FormatException) { return null; }
                    break;
                default: return null;
            }
        }
        return id is { } i && ts is { } s && nonce is not null && sig is not null ? new NodeRequestSignature(i, s, nonce, sig) : null;
    }
}
