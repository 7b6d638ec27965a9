using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.Contracts.Keys;

/// <summary>
/// An integration runtime's authentication key: everything a node needs to register (the server's URL,
/// the runtime's identity, which of the two keys it is and its generation) plus the secret.
/// </summary>
/// <remarks>
/// Text form: <c>IR@ferry1@{length}@{base64url(payload)}</c>, where the payload is a small UTF-8 JSON
/// document followed by the first 4 bytes of its SHA-256. The declared length tells a truncated key
/// (fewer characters than declared) from a garbled one (checksum mismatch), so a user who pasted
/// half a key is told exactly that.
/// </remarks>
public sealed record AuthKey(
    string ServerUrl,
    string Factory,
    string Runtime,
    Guid RuntimeId,
    string KeyName,
    int Generation,
    byte[] Secret)
{
    public const string Prefix = "IR@ferry1@";
    public const string KeyName1 = "authKey1";
    public const string KeyName2 = "authKey2";
    private const int ChecksumLength = 4;

    public static bool IsKnownKeyName(string? keyName) => keyName is KeyName1 or KeyName2;

    public string Format()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(
            new AuthKeyPayload(ServerUrl, Factory, Runtime, RuntimeId, KeyName, Generation, Convert.ToBase64String(Secret)),
            FerryJsonContext.Default.AuthKeyPayload);
        var payload = new byte[json.Length + ChecksumLength];
        json.CopyTo(payload, 0);
        SHA256.HashData(json).AsSpan(0, ChecksumLength).CopyTo(payload.AsSpan(json.Length));
        var body = Base64Url.EncodeToString(payload);
        return $"{Prefix}{body.Length}@{body}";
    }

    public static AuthKey Parse(string? text)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Prefix, StringComparison.Ordinal))
            throw new AuthKeyFormatException(AuthKeyDefect.NotAFerryKey,
                "This is not a Ferry authentication key: keys start with 'IR@ferry1@'. Copy authKey1 or authKey2 from `ferry ir list-auth-key`.");

        var rest = text.AsSpan(Prefix.Length);
        var at = rest.IndexOf('@');
        if (at <= 0 || !int.TryParse(rest[..at], out var declaredLength) || declaredLength <= 0)
            throw Garbled("its length field is unreadable");
        var body = rest[(at + 1)..];
        if (body.Length < declaredLength)
            throw new AuthKeyFormatException(AuthKeyDefect.Truncated,
                $"The authentication key is truncated: it has {body.Length} of its {declaredLength} characters. Copy the whole key again.");
        if (body.Length > declaredLength)
            throw Garbled($"it has {body.Length - declaredLength} characters more than it declares");

        byte[] payload;
        try
        {
            payload = Base64Url.DecodeFromChars(body);
        }
        catch (FormatException)
        {
            throw Garbled("it contains characters that are not part of a key");
        }
        if (payload.Length <= ChecksumLength)
            throw Garbled("it is too short to hold a key");

        var json = payload.AsSpan(0, payload.Length - ChecksumLength);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(json, hash);
        if (!hash[..ChecksumLength].SequenceEqual(payload.AsSpan(payload.Length - ChecksumLength)))
            throw Garbled("its checksum does not match");

        AuthKeyPayload? p;
        try
        {
            p = JsonSerializer.Deserialize(json, FerryJsonContext.Default.AuthKeyPayload);
        }
        catch (JsonException)
        {
            throw Garbled("its content is unreadable");
        }
        if (p is null || string.IsNullOrEmpty(p.U) || string.IsNullOrEmpty(p.F) || string.IsNullOrEmpty(p.R)
            || !IsKnownKeyName(p.K) || string.IsNullOrEmpty(p.S))
            throw Garbled("it lacks a field every key has");
        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(p.S);
        }
        catch (FormatException)
        {
            throw Garbled("its secret is unreadable");
        }
        return new AuthKey(p.U, p.F, p.R, p.Id, p.K!, p.G, secret);
    }

    private static AuthKeyFormatException Garbled(string why) =>
        new(AuthKeyDefect.Garbled, $"The authentication key is garbled: {why}. Copy the key again, exactly as `ferry ir list-auth-key` prints it.");

    /// <summary>The secret is never part of a record's printed form.</summary>
    public override string ToString() => $"AuthKey {{ {KeyName} of {Factory}/{Runtime} at {ServerUrl} }}";
}

/// <summary>The JSON inside a key; short names keep keys short enough to paste.</summary>
public sealed record AuthKeyPayload(string U, string F, string R, Guid Id, string? K, int G, string? S);
