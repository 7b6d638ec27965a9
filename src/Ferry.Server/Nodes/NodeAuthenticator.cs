using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Server.Errors;
using Ferry.Server.Hosting;
using Ferry.Server.Store;

namespace Ferry.Server.Nodes;

/// <summary>
/// Checks a registered node's signed call. Each failure has its own code and message, because each has its own fix:
/// no signature, a node the server no longer knows, a clock too far off, a replayed request, a forged signature.
/// A refusal of a node the server knows is written to its event log, naming the node.
/// </summary>
public sealed partial class NodeAuthenticator(IFerryStore store, ServerOptions options, TimeProvider time, ILogger<NodeAuthenticator> logger)
{
    // Nonces seen within the signature lifetime; a second use is a replay. Pruned as entries age out.
    private readonly ConcurrentDictionary<string, long> _seenNonces = new(StringComparer.Ordinal);
    private long _nextPruneMs;
    private readonly ConcurrentDictionary<string, ECDsa> _publicKeys = new(StringComparer.Ordinal);

    public async Task<NodeRow> AuthenticateAsync(HttpRequest request, byte[] body, CancellationToken ct)
    {
        var signature = NodeRequestSignature.TryParse(request.Headers.Authorization.ToString())
            ?? throw FerryException.Unauthorized(ErrorCodes.SignatureMissing,
                "This call needs a node signature ('Authorization: FerryNode ...'). Only a registered ferry-node makes it.");

        var node = await store.GetNodeAsync(signature.NodeId, ct)
            ?? throw new FerryException(StatusCodes.Status410Gone, ErrorCodes.NodeRemoved,
                "This node is no longer registered: it was removed from its integration runtime, or the runtime was deleted. " +
                "Register it again with `dmgcmd -RegisterNewNode \"<key>\"`.");

        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var skewMs = signature.TimestampMs - nowMs;
        var leewayMs = options.ClockLeewaySeconds * 1000L;
        if (skewMs > leewayMs || -skewMs > options.SignatureLifetimeSeconds * 1000L + leewayMs)
        {
            var message = skewMs > 0
                ? $"clock skew: the node's clock is {skewMs / 1000} s ahead of the server's, beyond the {options.ClockLeewaySeconds} s tolerance. Set the node's clock right (NTP); it reconnects by itself."
                : $"clock skew: the request was signed {-skewMs / 1000} s before the server received it, beyond the {options.SignatureLifetimeSeconds + options.ClockLeewaySeconds} s a signature lives. The node's clock is behind (fix it with NTP) or the request was replayed.";
            await store.SetNodeLastErrorAsync(node.Id, message, ct);
            LogRefused(logger, node.Name, message);
            throw FerryException.Unauthorized(ErrorCodes.ClockSkew, message);
        }

        if (!signature.Verify(PublicKeyOf(node), request.Method, request.Path + request.QueryString, body))
        {
            const string message = "auth rejected: the signature does not match this node's registered key (a copied or forged identity). Register the node again.";
            await store.SetNodeLastErrorAsync(node.Id, message, ct);
            LogRefused(logger, node.Name, message);
            throw FerryException.Unauthorized(ErrorCodes.SignatureInvalid, message);
        }

        PruneNonces(nowMs);
        var expiresMs = signature.TimestampMs + (options.SignatureLifetimeSeconds + options.ClockLeewaySeconds) * 1000L;
        if (!_seenNonces.TryAdd($"{node.Id:N}:{signature.Nonce}", expiresMs))
        {
            const string message = "This signed request was already used once; a node signs every call anew.";
            LogRefused(logger, node.Name, message);
            throw FerryException.Unauthorized(ErrorCodes.SignatureReplayed, message);
        }
        return node;
    }

    /// <summary>
    /// Parsed public keys, cached by the key's text so that a node registering again with a new key pair is never
    /// checked against its old one. ECDsa verification is thread-safe on a shared instance.
    /// </summary>
    private ECDsa PublicKeyOf(NodeRow node)
    {
        if (_publicKeys.TryGetValue(node.PublicKey, out var cached))
            return cached;
        try
        {
            var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(node.PublicKey), out _);
            if (_publicKeys.Count > 100_000)
                _publicKeys.Clear();
            return _publicKeys.GetOrAdd(node.PublicKey, key);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw FerryException.Unauthorized(ErrorCodes.SignatureInvalid, "This node's stored public key is unreadable; register the node again.");
        }
    }

    private void PruneNonces(long nowMs)
    {
        if (nowMs < Interlocked.Read(ref _nextPruneMs))
            return;
        Interlocked.Exchange(ref _nextPruneMs, nowMs + 10_000);
        foreach (var (nonce, expires) in _seenNonces)
        {
            if (expires < nowMs)
                _seenNonces.TryRemove(nonce, out _);
        }
    }

    [LoggerMessage(EventId = 2101, EventName = "NodeAuthenticationRefused", Level = LogLevel.Warning, Message = "Refused a call of node {NodeName}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string nodeName, string reason);
}
